#!/usr/bin/env bash
# interop.ops.eap_tls: EAP-TLS inside IKE_AUTH (RFC 7296 §2.16, RFC 5216) against strongSwan.
#   1. strongSwan (l) dials into a Cygnet gateway (r) as a road warrior with `auth = eap-tls` and
#      carol's certificate; the gateway proves itself with its own certificate (local_auth =
#      "pubkey") and checks carol's TLS client certificate like an IKE certificate: chain to the
#      CA, validity, EKU, and revocation through the CRL its CDP names (served over HTTP in r's
#      namespace). l gets a virtual IPv4 address and pings r's protected network from it;
#      `cygnetctl status` shows the certificate subject as the EAP identity.
#   2. mallory's certificate, revoked in that CRL: refused with AUTHENTICATION_FAILED and a log
#      line naming the certificate and the revocation; carol's SA is untouched.
#   3. Cygnet (l) as the EAP-TLS client of a strongSwan gateway (r: remote auth = eap-tls, a pool).
# Certificates and the CRL are made here with `openssl ca`. Needs root; exit 77 = skipped.
set -u
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../strongswan/lib.sh"

IT_DEADLINE=220
it_require ip timeout openssl "$IT_PYTHON"
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
[ -x "$CHARON" ] || it_skip "strongSwan charon not installed ($CHARON)"
command -v "$SWANCTL" >/dev/null 2>&1 || it_skip "swanctl not installed"
for p in eap-tls eap-identity; do
  [ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || it_skip "strongSwan plugin $p not installed (libcharon-extra-plugins)"
done
SS_PLUGINS="$SS_PLUGINS eap-tls eap-identity"

VIP4=198.51.100.129
ns_create_pair
ip -n "${IT_NS[l]}" addr flush dev prot0
ip -n "${IT_NS[l]}" addr add 198.51.100.1/25 dev prot0
ip -n "${IT_NS[r]}" addr add 192.0.2.10/24 dev out0 || it_fail "CRL server address"
crl_uri="http://192.0.2.10:8000/ca.crl"

it_step "PKI: a CA run by openssl ca, the gateway's certificate, carol's and mallory's (revoked)"
pki=$IT_TMP/pki
pki_ca "$pki" ecdsa
touch "$pki/index.txt"
echo 1000 >"$pki/serial"
echo 1000 >"$pki/crlnumber"
cat >"$pki/ca.cnf" <<EOF
[ca]
default_ca = ca_default
[ca_default]
dir = $pki
database = $pki/index.txt
new_certs_dir = $pki
serial = $pki/serial
crlnumber = $pki/crlnumber
certificate = $pki/ca.pem
private_key = $pki/ca.key
default_md = sha256
default_days = 30
default_crl_days = 1
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
organizationName = optional
EOF
openssl_ca() { timeout 20 openssl ca -batch -config "$pki/ca.cnf" "$@" 2>>"$pki/openssl.log"; }
host() {  # NAME SAN EKU [EXTRA-EXTENSION...] -> $pki/NAME.pem, $pki/NAME.key
  local name=$1 san=$2 eku=$3
  shift 3
  pki_genkey ecdsa "$pki/$name.key"
  timeout 20 openssl req -new -key "$pki/$name.key" -subj "/O=Cygnet Test/CN=${san#*:}" -out "$pki/$name.csr" 2>>"$pki/openssl.log" ||
    it_fail "openssl req $name"
  {
    printf '[ext]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$eku"
    printf 'subjectAltName=%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' "$san"
    local e
    for e in "$@"; do printf '%s\n' "$e"; done
  } >"$pki/$name.ext"
  openssl_ca -in "$pki/$name.csr" -extfile "$pki/$name.ext" -extensions ext -out "$pki/$name.pem" ||
    it_fail "openssl ca $name"
}
host gw DNS:gw.example serverAuth,clientAuth
host carol DNS:carol.example clientAuth "crlDistributionPoints=URI:$crl_uri"
host mallory DNS:mallory.example clientAuth "crlDistributionPoints=URI:$crl_uri"
openssl_ca -revoke "$pki/mallory.pem" -crl_reason keyCompromise || it_fail "revoke mallory"
openssl_ca -gencrl -out "$pki/ca.crl.pem" || it_fail "gencrl"
www=$IT_TMP/www
mkdir -p "$www"
openssl crl -in "$pki/ca.crl.pem" -outform DER -out "$www/ca.crl" || it_fail "CRL to DER"
it_spawn "${IT_NS[r]}" "$IT_TMP/http.log" "$IT_PYTHON" -m http.server --bind 192.0.2.10 --directory "$www" 8000
it_wait_for 10 "the CRL server" ip netns exec "${IT_NS[r]}" timeout 2 "$IT_PYTHON" -c \
  "import urllib.request; urllib.request.urlopen('$crl_uri', timeout=1).read()" || it_fail "the CRL server does not answer"

cyg_daemon_table() {  # NODE: [daemon] as cyg_config writes it, with a private state_dir
  cat <<EOF
[daemon]
listen = ["${IT_OUTER[$1]}"]
control_socket = "$(cyg_socket "$1")"
tun = "cyg$(($$ % 100000))$1"
log_level = "debug"
state_dir = "$IT_TMP/state-$1"
EOF
}
swanctl_dirs() {  # NODE
  local sub
  for sub in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
    mkdir -p "${IT_DIR[$1]}/$sub"
  done
}

it_step "1. strongSwan client (auth = eap-tls), Cygnet gateway: CRL checked, virtual IP, ping"
gw_conf=$IT_TMP/gateway.toml
{
  cyg_daemon_table r
  cat <<EOF

[pools.rw4]
addrs = "198.51.100.128/25"

[connections.rw]
local_addrs = ["192.0.2.2"]
remote_addrs = ["%any"]
local_id = "gw.example"
remote_id = "%any"
local_auth = "pubkey"
remote_auth = "eap-tls"
certificate = "$pki/gw.pem"
private_key = "$pki/gw.key"
ca_certificates = ["$pki/ca.pem"]
revocation = "ifuri"
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
swanctl_dirs l
cp "$pki/carol.key" "$pki/mallory.key" "${IT_DIR[l]}/private/"
cp "$pki/ca.pem" "${IT_DIR[l]}/x509ca/"
client_conn() {  # NAME: a road warrior with NAME's certificate
  cat <<EOF
  $1 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes256gcm16-prfsha256-x25519
    vips = 0.0.0.0
    mobike = no
    local {
      auth = eap-tls
      certs = $pki/$1.pem
      id = $1.example
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
$(client_conn carol)
$(client_conn mallory)
}
EOF
ss_load l

ss_ctl l --initiate --child net --ike carol --timeout 20 >"${IT_DIR[l]}/swanctl-carol.log" 2>&1 || {
  cat "${IT_DIR[l]}/swanctl-carol.log" >&2
  tail -n 60 "${IT_DIR[r]}/cygnetd.log" >&2
  it_fail "strongSwan could not connect with EAP-TLS"
}
ss_wait_sa l 15 carol || it_fail "no SA on l"
cyg_wait_sa r 15 rw || it_fail "no SA on r"
grep -q "EAP method EAP_TLS succeeded, MSK established" "${IT_DIR[l]}/charon.log" ||
  it_fail "charon's log shows no successful EAP-TLS"
grep -q "negotiated TLS 1.2" "${IT_DIR[l]}/charon.log" && it_log "charon negotiated TLS 1.2"
grep -q "installing new virtual IP $VIP4" "${IT_DIR[l]}/charon.log" || it_fail "charon did not install $VIP4"
[ "$(cyg_stat r ike revocation_fetches)" -ge 1 ] || it_fail "the gateway did not fetch carol's CRL"
cyg_status r | it_json "any('CN=carol.example' in sa['eap_identity'] and sa['remote_virtual_ips'] == ['$VIP4'] for c in d['connections'] for sa in c['ike_sas'])" ||
  it_fail "cygnetctl status does not show carol's certificate subject as EAP identity with $VIP4"
ip netns exec "${IT_NS[l]}" timeout 10 ping -c 3 -i 0.2 -W 2 -I "$VIP4" 203.0.113.1 >/dev/null ||
  it_fail "no ping from $VIP4 through the tunnel"
it_log "ok: carol is up over EAP-TLS with $VIP4"

it_step "2. mallory's revoked certificate: refused with a clear log line"
ss_ctl l --initiate --child net --ike mallory --timeout 20 >"${IT_DIR[l]}/swanctl-mallory.log" 2>&1 &&
  it_fail "strongSwan connected with a revoked certificate"
it_wait_for 10 "r to log the refusal" grep -q "CN=mallory.example.*revoked at" "${IT_DIR[r]}/cygnetd.log" ||
  it_fail "cygnetd's log does not name mallory's certificate as revoked"
grep "CN=mallory.example.*revoked at" "${IT_DIR[r]}/cygnetd.log" | head -n 1 >&2
grep -q "AUTHENTICATION_FAILED" "${IT_DIR[l]}/charon.log" || it_fail "charon did not get AUTHENTICATION_FAILED"
cyg_has_sa r rw net || it_fail "carol's SA was disturbed by mallory's failure"
[ "$(cyg_stat r ike authentication_failures)" -ge 1 ] || it_fail "the failure is not counted"
cyg_ctl r why rw | grep -q "revoked" || it_fail "cygnetctl why does not name the revocation"

it_step "3. Cygnet client (local_auth = eap-tls), strongSwan gateway"
ss_ctl l --terminate --ike carol --timeout 10 >/dev/null 2>&1 || true
cyg_stop r || it_fail "cygnetd did not stop cleanly"
ss_stop l
ss_write_strongswan_conf r
ss_start r
swanctl_dirs r
cp "$pki/gw.key" "${IT_DIR[r]}/private/"
cp "$pki/ca.pem" "${IT_DIR[r]}/x509ca/"
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
      auth = eap-tls
      id = %any
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
EOF
ss_load r
client_conf=$IT_TMP/client.toml
{
  cyg_daemon_table l
  cat <<EOF

[connections.home]
local_addrs = ["192.0.2.1"]
remote_addrs = ["192.0.2.2"]
local_id = "carol.example"
remote_id = "gw.example"
local_auth = "eap-tls"
remote_auth = "pubkey"
certificate = "$pki/carol.pem"
private_key = "$pki/carol.key"
ca_certificates = ["$pki/ca.pem"]
revocation = "relaxed"
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
  tail -n 60 "${IT_DIR[l]}/cygnetd.log" >&2
  tail -n 40 "${IT_DIR[r]}/charon.log" >&2
  it_fail "Cygnet did not connect to the strongSwan gateway with EAP-TLS"
}
ss_wait_sa r 10 rw || it_fail "no SA on the strongSwan gateway"
grep -q "EAP method EAP_TLS succeeded, MSK established" "${IT_DIR[r]}/charon.log" ||
  it_fail "the strongSwan gateway's log shows no successful EAP-TLS"
cyg_status l | it_json "any(sa['local_virtual_ips'] == ['$VIP4'] for c in d['connections'] for sa in c['ike_sas'])" ||
  it_fail "cygnetctl status does not show $VIP4 assigned"

it_log "PASS"
