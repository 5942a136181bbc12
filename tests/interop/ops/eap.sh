#!/usr/bin/env bash
# interop.ops.eap: EAP-MSCHAPv2 inside IKE_AUTH (RFC 7296 §2.16) against strongSwan, both roles.
#   1. strongSwan (l) dials into a Cygnet gateway (r) as a road warrior: the gateway proves itself
#      with a certificate this test generates (local_auth = "pubkey"), the user with EAP-MSCHAPv2
#      (swanctl eap_id = alice, [eap_users.alice] on r); l gets a virtual IPv4 address from r's pool
#      and pings r's protected network from it; `cygnetctl status` shows the EAP identity.
#   2. The same with a wrong password (user bob): refused, r's log names bob and the reason, never
#      the password; `cygnetctl why` says so.
#   3. Cygnet (l) as the EAP client of a strongSwan gateway (r: eap-mschapv2 server, users in its
#      secrets, eap_id = %any, a pool): up, the virtual IP assigned, the EAP identity shown.
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=200
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
[ -x "$CHARON" ] || it_skip "strongSwan charon not installed ($CHARON)"
command -v "$SWANCTL" >/dev/null 2>&1 || it_skip "swanctl not installed"
command -v openssl >/dev/null 2>&1 || it_skip "openssl not installed"
for p in eap-mschapv2 eap-identity; do
  [ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || it_skip "strongSwan plugin $p not installed (libcharon-extauth-plugins)"
done
SS_PLUGINS="$SS_PLUGINS eap-mschapv2 eap-identity"

ALICE_PASSWORD=alice-interop-Passw0rd
BOB_PASSWORD=bob-interop-Passw0rd
VIP4=198.51.100.129
ns_create_pair
ip -n "${IT_NS[l]}" addr flush dev prot0
ip -n "${IT_NS[l]}" addr add 198.51.100.1/25 dev prot0

it_step "PKI: a CA and the gateway's certificate (gw.example)"
pki=$IT_TMP/pki
pki_ca "$pki" ecdsa
pki_host "$pki" gw ecdsa DNS:gw.example IP:192.0.2.2

# cygnetd's [daemon] table as cyg_config writes it, with a private state_dir (leases.json).
cyg_daemon_table() {
  cat <<EOF
[daemon]
listen = ["${IT_OUTER[$1]}"]
control_socket = "$(cyg_socket "$1")"
tun = "cyg$(($$ % 100000))$1"
log_level = "debug"
state_dir = "$IT_TMP/state-$1"
EOF
}

it_step "1. strongSwan client, Cygnet gateway: certificate + EAP-MSCHAPv2, virtual IP, ping"
gw_conf=$IT_TMP/gateway.toml
{
  cyg_daemon_table r
  cat <<EOF

[eap_users.alice]
password = "$ALICE_PASSWORD"

[eap_users.bob]
password = "$BOB_PASSWORD"

[pools.rw4]
addrs = "198.51.100.128/25"

[connections.rw]
local_addrs = ["192.0.2.2"]
remote_addrs = ["%any"]
local_id = "gw.example"
remote_id = "%any"
local_auth = "pubkey"
certificate = "$pki/gw.pem"
private_key = "$pki/gw.key"
remote_auth = "eap-mschapv2"
pools = ["rw4"]
ike_proposals = ["aes256gcm16-prfsha256-x25519"]

[[connections.rw.children]]
name = "net"
local_ts = ["203.0.113.0/24"]
remote_ts = []
esp_proposals = ["aes256gcm16"]
EOF
} >"$gw_conf"
"$CYGNETCTL" check "$gw_conf" >/dev/null || it_fail "the gateway configuration does not load"
cyg_start r "$gw_conf"

ss_write_strongswan_conf l
sed -i 's/install_virtual_ip = no/install_virtual_ip = yes/' "${IT_DIR[l]}/strongswan.conf"
ss_start l
for sub in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
  mkdir -p "${IT_DIR[l]}/$sub"
done
# Two connections: alice with her password, bob with a wrong one.
client_conn() {  # NAME EAP_ID
  cat <<EOF
  $1 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes256gcm16-prfsha256-x25519
    vips = 0.0.0.0
    mobike = no
    local {
      auth = eap-mschapv2
      id = laptop.example
      eap_id = $2
    }
    remote {
      auth = pubkey
      id = gw.example
      cacerts = $pki/ca.pem
    }
    children {
      net {
        remote_ts = 203.0.113.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
EOF
}
cat >"${IT_DIR[l]}/swanctl.conf" <<EOF
connections {
$(client_conn alice alice)
$(client_conn bob bob)
}
secrets {
  eap-alice {
    id = alice
    secret = "$ALICE_PASSWORD"
  }
  eap-bob {
    id = bob
    secret = "not-bobs-password"
  }
}
EOF
ss_load l

ss_ctl l --initiate --child net --ike alice --timeout 15 >"${IT_DIR[l]}/swanctl-alice.log" 2>&1 || {
  cat "${IT_DIR[l]}/swanctl-alice.log" >&2
  tail -n 40 "${IT_DIR[r]}/cygnetd.log" >&2
  it_fail "strongSwan could not connect with EAP-MSCHAPv2"
}
ss_wait_sa l 15 alice || it_fail "no SA on l"
cyg_wait_sa r 15 rw || it_fail "no SA on r"
grep -q "installing new virtual IP $VIP4" "${IT_DIR[l]}/charon.log" || it_fail "charon did not install $VIP4"
grep -Eq "EAP method EAP_MSCHAPV2 succeeded, MSK established" "${IT_DIR[l]}/charon.log" ||
  it_fail "charon's log shows no successful EAP-MSCHAPv2"
cyg_status r | it_json "any(sa['eap_identity'] == 'alice' and sa['remote_virtual_ips'] == ['$VIP4'] for c in d['connections'] for sa in c['ike_sas'])" ||
  it_fail "cygnetctl status does not show EAP identity alice with $VIP4"
cyg_ctl r status | grep -q "EAP identity.*alice" || it_fail "cygnetctl status (text) does not name the EAP identity"
ip netns exec "${IT_NS[l]}" timeout 10 ping -c 3 -i 0.2 -W 2 -I "$VIP4" 203.0.113.1 >/dev/null ||
  it_fail "no ping from $VIP4 through the tunnel"
cyg_ctl r leases | grep -q "alice" || it_fail "the lease is not held under the EAP identity"

it_step "2. a wrong password: refused with a clear log line"
ss_ctl l --initiate --child net --ike bob --timeout 15 >"${IT_DIR[l]}/swanctl-bob.log" 2>&1 &&
  it_fail "strongSwan connected with a wrong password"
it_wait_for 10 "r to log the refusal" grep -q "wrong password for EAP identity 'bob'" "${IT_DIR[r]}/cygnetd.log" ||
  it_fail "cygnetd's log does not say bob's password was wrong"
grep -q "not-bobs-password\|$BOB_PASSWORD" "${IT_DIR[r]}/cygnetd.log" && it_fail "a password appears in cygnetd's log"
grep -q "EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE" "${IT_DIR[l]}/charon.log" ||
  it_fail "charon's log does not show the refusal"
cyg_ctl r why rw | grep -q "bob" || it_fail "cygnetctl why does not name the EAP identity"
cyg_has_sa r rw net || it_fail "alice's SA was disturbed by bob's failure"
[ "$(cyg_stat r ike authentication_failures)" -ge 1 ] || it_fail "the failure is not counted"

it_step "3. Cygnet client, strongSwan gateway (eap-mschapv2 server, eap_id = %any, a pool)"
ss_ctl l --terminate --ike alice --timeout 10 >/dev/null 2>&1 || true
cyg_stop r || it_fail "cygnetd did not stop cleanly"
ss_stop l
# Roles swap: strongSwan serves on r, Cygnet dials from l.
ip -n "${IT_NS[l]}" addr flush dev prot0
ip -n "${IT_NS[l]}" addr add 198.51.100.1/25 dev prot0
ss_write_strongswan_conf r
ss_start r
for sub in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
  mkdir -p "${IT_DIR[r]}/$sub"
done
cp "$pki/gw.key" "${IT_DIR[r]}/private/"
cat >"${IT_DIR[r]}/swanctl.conf" <<EOF
connections {
  rw {
    version = 2
    local_addrs = 192.0.2.2
    remote_addrs = %any
    proposals = aes256gcm16-prfsha256-x25519
    pools = rw4
    mobike = no
    local {
      auth = pubkey
      certs = $pki/gw.pem
      id = gw.example
    }
    remote {
      auth = eap-mschapv2
      eap_id = %any
    }
    children {
      net {
        local_ts = 203.0.113.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
}
pools {
  rw4 {
    addrs = 198.51.100.128/25
  }
}
secrets {
  eap-alice {
    id = alice
    secret = "$ALICE_PASSWORD"
  }
}
EOF
ss_load r
client_conf=$IT_TMP/client.toml
{
  cyg_daemon_table l
  cat <<EOF

[connections.home]
local_addrs = ["192.0.2.1"]
remote_addrs = ["192.0.2.2"]
local_id = "laptop.example"
remote_id = "gw.example"
local_auth = "eap-mschapv2"
eap_identity = "alice"
eap_password = "$ALICE_PASSWORD"
remote_auth = "pubkey"
ca_certificates = ["$pki/ca.pem"]
vips = ["0.0.0.0"]
ike_proposals = ["aes256gcm16-prfsha256-x25519"]

[[connections.home.children]]
name = "net"
local_ts = []
remote_ts = ["203.0.113.0/24"]
esp_proposals = ["aes256gcm16"]
EOF
} >"$client_conf"
"$CYGNETCTL" check "$client_conf" >/dev/null || it_fail "the client configuration does not load"
cyg_start l "$client_conf"
cyg_ctl l up home >/dev/null 2>&1 || true
cyg_wait_sa l 20 home || {
  tail -n 40 "${IT_DIR[l]}/cygnetd.log" >&2
  it_fail "Cygnet did not connect to the strongSwan gateway with EAP-MSCHAPv2"
}
ss_wait_sa r 10 rw || it_fail "no SA on the strongSwan gateway"
cyg_status l | it_json "any(sa['eap_identity'] == 'alice' and sa['local_virtual_ips'] == ['$VIP4'] for c in d['connections'] for sa in c['ike_sas'])" ||
  it_fail "cygnetctl status does not show EAP identity alice with $VIP4 assigned"
grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "${IT_DIR[r]}/charon.log" ||
  it_fail "the strongSwan gateway's log shows no successful EAP-MSCHAPv2"

it_log "PASS"
