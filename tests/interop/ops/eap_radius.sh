#!/usr/bin/env bash
# interop.ops.eap_radius: EAP-RADIUS end to end (issue 14). strongSwan (l) is the road warrior
# with EAP-MSCHAPv2 and a virtual IP; cygnetd (r) is the gateway with remote_auth = "eap-radius"
# and relays the EAP conversation to a FreeRADIUS server this test starts in r's namespace on
# loopback (freeradius_lib.sh), with accounting on.
#   1. alice, right password: tunnel up, the virtual IP from the gateway's pool, ping through,
#      accounting Start with Framed-IP-Address = that address in FreeRADIUS's detail file
#   2. bob, wrong password: FreeRADIUS refuses, the client fails its authentication, cygnetd's log
#      names bob and the reason; alice untouched
#   3. FreeRADIUS restarted with another shared secret: carol's login fails within seconds with a
#      cygnetd log line naming the silent server and the secret, no hang; alice still pings
#   4. FreeRADIUS back with the right secret, alice disconnects: accounting Stop with her session
#      id, nonzero octets both ways and the session time
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/freeradius_lib.sh"

IT_DEADLINE=220
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
[ -x "$CHARON" ] || it_skip "strongSwan charon not installed ($CHARON)"
command -v "$SWANCTL" >/dev/null 2>&1 || it_skip "swanctl not installed"
command -v openssl >/dev/null 2>&1 || it_skip "openssl not installed"
command -v freeradius >/dev/null 2>&1 || it_skip "freeradius not installed"
for p in eap-mschapv2 eap-identity; do
  [ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || it_skip "strongSwan plugin $p not installed (libcharon-extauth-plugins)"
done
SS_PLUGINS="$SS_PLUGINS eap-mschapv2 eap-identity"

SECRET=cygnet-eap-radius-test-secret
ALICE_PASSWORD=alice-radius-Passw0rd
BOB_PASSWORD=bob-radius-Passw0rd
CAROL_PASSWORD=carol-radius-Passw0rd
USERS="alice	Cleartext-Password := \"$ALICE_PASSWORD\"
bob	Cleartext-Password := \"$BOB_PASSWORD\"
carol	Cleartext-Password := \"$CAROL_PASSWORD\""
VIP4=198.51.100.129
ns_create_pair
ip -n "${IT_NS[l]}" addr flush dev prot0
ip -n "${IT_NS[l]}" addr add 198.51.100.1/25 dev prot0

radius_dir=$IT_TMP/freeradius
detail=$radius_dir/acct/detail
start_freeradius() {  # SECRET
  fr_stop
  fr_start "${IT_NS[r]}" "$radius_dir" "$1" "$USERS" || {
    tail -n 30 "$radius_dir/radiusd.out" >&2
    it_fail "FreeRADIUS did not start"
  }
  it_track_pid "$FR_PID"
  IT_LOGS+=("$radius_dir/radiusd.out")
}

it_step "PKI: a CA and the gateway's certificate (gw.example); FreeRADIUS in r on 127.0.0.1"
pki=$IT_TMP/pki
pki_ca "$pki" ecdsa
pki_host "$pki" gw ecdsa DNS:gw.example IP:192.0.2.2
start_freeradius "$SECRET"

gw_conf=$IT_TMP/gateway.toml
cat >"$gw_conf" <<EOF
[daemon]
listen = ["${IT_OUTER[r]}"]
control_socket = "$(cyg_socket r)"
tun = "cyg$(($$ % 100000))r"
log_level = "debug"
state_dir = "$IT_TMP/state-r"

[radius]
servers = [{ address = "127.0.0.1" }]
secret = "$SECRET"
timeout = "1s"
retries = 1
nas_identifier = "cygnet-eap-radius-test"
accounting = true

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
remote_auth = "eap-radius"
pools = ["rw4"]
ike_proposals = ["aes256gcm16-prfsha256-x25519"]

[[connections.rw.children]]
name = "net"
local_ts = ["203.0.113.0/24"]
remote_ts = []
esp_proposals = ["aes256gcm16"]
EOF
"$CYGNETCTL" check "$gw_conf" >/dev/null || it_fail "the gateway configuration does not load"
cyg_start r "$gw_conf"

ss_write_strongswan_conf l
sed -i 's/install_virtual_ip = no/install_virtual_ip = yes/' "${IT_DIR[l]}/strongswan.conf"
ss_start l
for sub in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
  mkdir -p "${IT_DIR[l]}/$sub"
done
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
      id = $1-laptop.example
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
$(client_conn carol carol)
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
  eap-carol {
    id = carol
    secret = "$CAROL_PASSWORD"
  }
}
EOF
ss_load l

it_step "1. alice: EAP-MSCHAPv2 relayed to FreeRADIUS, virtual IP, ping, accounting Start"
ss_ctl l --initiate --child net --ike alice --timeout 20 >"${IT_DIR[l]}/swanctl-alice.log" 2>&1 || {
  cat "${IT_DIR[l]}/swanctl-alice.log" >&2
  tail -n 40 "${IT_DIR[r]}/cygnetd.log" >&2
  it_fail "strongSwan could not connect through EAP-RADIUS"
}
ss_wait_sa l 15 alice || it_fail "no SA on l"
cyg_wait_sa r 15 rw || it_fail "no SA on r"
grep -q "installing new virtual IP $VIP4" "${IT_DIR[l]}/charon.log" || it_fail "charon did not install $VIP4"
grep -Eq "EAP method EAP_MSCHAPV2 succeeded, MSK established" "${IT_DIR[l]}/charon.log" ||
  it_fail "charon's log shows no successful EAP-MSCHAPv2"
grep -q "Access-Accept" "${IT_DIR[r]}/cygnetd.log" || it_fail "cygnetd's log shows no Access-Accept"
cyg_status r | it_json "any(sa['eap_identity'] == 'alice' and sa['remote_virtual_ips'] == ['$VIP4'] for c in d['connections'] for sa in c['ike_sas'])" ||
  it_fail "cygnetctl status does not show EAP identity alice with $VIP4"
ip netns exec "${IT_NS[l]}" timeout 10 ping -c 3 -i 0.2 -W 2 -I "$VIP4" 203.0.113.1 >/dev/null ||
  it_fail "no ping from $VIP4 through the tunnel"
it_wait_for 10 "accounting Start in FreeRADIUS's detail file" grep -q "Acct-Status-Type = Start" "$detail" ||
  it_fail "FreeRADIUS recorded no accounting Start"
grep -q "Framed-IP-Address = $VIP4" "$detail" || it_fail "the Start does not carry Framed-IP-Address = $VIP4"
grep -q 'User-Name = "alice"' "$detail" || it_fail "the Start does not name alice"
session=$(sed -n 's/.*Acct-Session-Id = "\(.*\)"/\1/p' "$detail" | head -n 1)
[ -n "$session" ] || it_fail "no Acct-Session-Id in the detail file"
it_log "accounting session $session"

it_step "2. bob, wrong password: refused by FreeRADIUS, AUTHENTICATION_FAILED, alice untouched"
start=$SECONDS
ss_ctl l --initiate --child net --ike bob --timeout 20 >"${IT_DIR[l]}/swanctl-bob.log" 2>&1 &&
  it_fail "strongSwan connected with a wrong password"
[ $((SECONDS - start)) -le 20 ] || it_fail "bob's refusal took $((SECONDS - start)) s"
grep -Eq "ERROR_AUTHENTICATION_FAILURE|AUTHENTICATION_FAILED" "${IT_DIR[l]}/charon.log" ||
  it_fail "charon's log does not show the refusal"
it_wait_for 10 "r to log the refusal" grep -Eq "EAP identity 'bob': the RADIUS server re(fused|jected)" "${IT_DIR[r]}/cygnetd.log" ||
  it_fail "cygnetd's log does not say the RADIUS server refused bob"
grep -q "not-bobs-password\|$BOB_PASSWORD\|$SECRET" "${IT_DIR[r]}/cygnetd.log" && it_fail "a password or the RADIUS secret appears in cygnetd's log"
cyg_has_sa r rw net || it_fail "alice's SA was disturbed by bob's failure"

it_step "3. FreeRADIUS with another secret: carol fails cleanly and fast, alice untouched"
start_freeradius "not-the-gateways-secret"
start=$SECONDS
ss_ctl l --initiate --child net --ike carol --timeout 25 >"${IT_DIR[l]}/swanctl-carol.log" 2>&1 &&
  it_fail "carol connected although FreeRADIUS does not share the gateway's secret"
[ $((SECONDS - start)) -le 25 ] || it_fail "carol's failure took $((SECONDS - start)) s"
it_wait_for 10 "r to log the silent server" grep -q "EAP-RADIUS for 'carol' (IKE SA #[0-9]*): authentication failed: no RADIUS server answered" "${IT_DIR[r]}/cygnetd.log" ||
  it_fail "cygnetd's log has no clear line for the wrong shared secret"
grep "EAP-RADIUS for 'carol'" "${IT_DIR[r]}/cygnetd.log" | grep -q "shared secret" ||
  it_fail "cygnetd's log line does not point at the shared secret"
grep -Eq "AUTHENTICATION_FAILED" "${IT_DIR[l]}/charon.log" || it_fail "carol saw no AUTHENTICATION_FAILED"
cyg_has_sa r rw net || it_fail "alice's SA was disturbed by carol's failure"
ip netns exec "${IT_NS[l]}" timeout 10 ping -c 2 -i 0.2 -W 2 -I "$VIP4" 203.0.113.1 >/dev/null ||
  it_fail "alice's tunnel stopped carrying traffic"

it_step "4. alice disconnects: accounting Stop with her octets and session time"
start_freeradius "$SECRET"
ss_ctl l --terminate --ike alice --timeout 10 >/dev/null 2>&1 || it_fail "alice could not disconnect"
it_wait_for 15 "accounting Stop in FreeRADIUS's detail file" grep -q "Acct-Status-Type = Stop" "$detail" || {
  grep "RADIUS accounting" "${IT_DIR[r]}/cygnetd.log" >&2
  it_fail "FreeRADIUS recorded no accounting Stop"
}
stop_record=$(awk -v RS= '/Acct-Status-Type = Stop/' "$detail")
echo "$stop_record" | grep -q "Acct-Session-Id = \"$session\"" || it_fail "the Stop is not for session $session"
echo "$stop_record" | grep -Eq "Acct-Input-Octets = [1-9]" || it_fail "the Stop counts no octets from the client"
echo "$stop_record" | grep -Eq "Acct-Output-Octets = [1-9]" || it_fail "the Stop counts no octets to the client"
echo "$stop_record" | grep -Eq "Acct-Input-Packets = [1-9]" || it_fail "the Stop counts no packets from the client"
echo "$stop_record" | grep -q "Acct-Session-Time = " || it_fail "the Stop has no session time"
echo "$stop_record" | grep -q "Acct-Terminate-Cause = User-Request" || it_fail "the Stop's cause is not User-Request"
echo "$stop_record" | grep -q "Framed-IP-Address = $VIP4" || it_fail "the Stop does not carry $VIP4"
cyg_stop r || it_fail "cygnetd did not stop cleanly"

it_log "PASS"
