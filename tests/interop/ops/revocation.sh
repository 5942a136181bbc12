#!/usr/bin/env bash
# Certificate revocation, live: two cygnetd (l initiates, r checks l's certificate) with
# auth = "pubkey", a real HTTP server (python3 -m http.server) serving the CA's CRL and
# `openssl ocsp` as the OCSP responder, both in r's namespace on 192.0.2.10. Certificates, the
# CRLs and the OCSP index are made here with the openssl CLI (openssl ca).
#   good                  CDP → CRL that does not list l: up
#   revoked per CRL       refused, `why` names the certificate, "revoked at", the CRL's URI
#   revoked per OCSP      AIA OCSP only, the index marks l revoked: refused
#   unreachable           CDP to a port nothing listens on: strict and ifuri refuse, relaxed accepts
#   expired CRL           nextUpdate in the past: unknown (ifuri refuses, relaxed accepts)
# Then strongSwan initiates to r with the good and the revoked certificate (when charon is installed).
# Needs root, openssl and built cygnetd/cygnetctl; exit 77 = skipped.
set -u
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../strongswan/lib.sh"

it_require ip timeout openssl "$IT_PYTHON"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
IT_DEADLINE=220
it_init
it_step "revocation: CRL and OCSP over HTTP in a namespace; temp dir $IT_TMP"
ns_create_pair
ip -n "${IT_NS[r]}" addr add 192.0.2.10/24 dev out0 || it_fail "server address"
srv=192.0.2.10
crl_uri="http://$srv:8000/ca.crl"
expired_uri="http://$srv:8000/expired.crl"
ocsp_uri="http://$srv:8888"
dead_uri="http://$srv:9/ca.crl"  # nothing listens: connection refused

# --- PKI: a CA run by `openssl ca`, hosts with CDP / AIA extensions -----------------------------
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

# host NAME SAN EXTRA-EXTENSIONS... -> $pki/NAME.pem, $pki/NAME.key
host() {
  local name=$1 san=$2
  shift 2
  pki_genkey ecdsa "$pki/$name.key"
  timeout 20 openssl req -new -key "$pki/$name.key" -subj "/O=Cygnet Test/CN=${san#*:}" -out "$pki/$name.csr" 2>>"$pki/openssl.log" ||
    it_fail "openssl req $name"
  {
    printf '[ext]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=%s\n' "$san"
    printf 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n'
    local e
    for e in "$@"; do printf '%s\n' "$e"; done
  } >"$pki/$name.ext"
  openssl_ca -in "$pki/$name.csr" -extfile "$pki/$name.ext" -extensions ext -out "$pki/$name.pem" ||
    it_fail "openssl ca $name"
}
host r DNS:r.example
host good DNS:l.example "crlDistributionPoints=URI:$crl_uri"
host revoked DNS:l.example "crlDistributionPoints=URI:$crl_uri"
host ocsprevoked DNS:l.example "authorityInfoAccess=OCSP;URI:$ocsp_uri"
host dead DNS:l.example "crlDistributionPoints=URI:$dead_uri"
host expired DNS:l.example "crlDistributionPoints=URI:$expired_uri"
# The OCSP responder's own certificate (delegated signing, RFC 6960 §4.2.2.2).
host ocsp DNS:ocsp.example "extendedKeyUsage=OCSPSigning"

openssl_ca -revoke "$pki/revoked.pem" -crl_reason keyCompromise || it_fail "revoke (CRL)"
openssl_ca -gencrl -out "$pki/ca.crl.pem" || it_fail "gencrl"
openssl crl -in "$pki/ca.crl.pem" -outform DER -out "$pki/ca.crl" || it_fail "crl to DER"
# Expired: issued two days ago, due yesterday.
openssl_ca -gencrl -crl_lastupdate "$(date -u -d '-2 days' +%Y%m%d%H%M%SZ)" \
  -crl_nextupdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" -out "$pki/expired.crl" || it_fail "expired CRL"
# Revoked for OCSP only after the CRLs were made, so the CRL does not list it.
openssl_ca -revoke "$pki/ocsprevoked.pem" || it_fail "revoke (OCSP)"

www=$IT_TMP/www
mkdir -p "$www"
cp "$pki/ca.crl" "$pki/expired.crl" "$www/"
it_spawn "${IT_NS[r]}" "$IT_TMP/http.log" "$IT_PYTHON" -m http.server --bind "$srv" --directory "$www" 8000
it_spawn "${IT_NS[r]}" "$IT_TMP/ocsp.log" openssl ocsp -index "$pki/index.txt" -port 8888 \
  -rsigner "$pki/ocsp.pem" -rkey "$pki/ocsp.key" -CA "$pki/ca.pem" -nmin 10
it_wait_for 10 "HTTP server" ip netns exec "${IT_NS[l]}" timeout 2 "$IT_PYTHON" -c \
  "import urllib.request; urllib.request.urlopen('$crl_uri', timeout=1).read()" || it_fail "HTTP server not answering"
it_wait_for 10 "OCSP responder" ip netns exec "${IT_NS[l]}" timeout 3 openssl ocsp -issuer "$pki/ca.pem" \
  -cert "$pki/good.pem" -url "$ocsp_uri" -CAfile "$pki/ca.pem" -resp_text >/dev/null 2>&1 || it_fail "OCSP responder not answering"

# --- one case: l presents CERT, r checks under POLICY; expect up / refused with WORDS -----------
with_revocation() {  # CONFIG-FILE POLICY: revocation = POLICY in the connection table
  sed -i "s/^auth = \"pubkey\"\$/auth = \"pubkey\"\nrevocation = \"$2\"/" "$1"
}
start_r() {  # POLICY: a fresh cygnetd in r checking l's certificate under POLICY
  local rconf
  cyg_stop r
  rconf=$(cyg_config r auth=pubkey cert="$pki/r.pem" key="$pki/r.key" cacert="$pki/ca.pem" \
    local_id=r.example remote_id=l.example)
  with_revocation "$rconf" "$1"
  cyg_start r "$rconf"
}
run_case() {  # CERT POLICY up|refused [WORDS]; l is cygnetd (or, with INITIATOR=strongswan, charon)
  local cert=$1 policy=$2 expect=$3 words=${4:-} lconf why
  it_step "${INITIATOR:-cygnet} in l presents '$cert', r has revocation = $policy: expect $expect"
  if [ "${INITIATOR:-cygnet}" = strongswan ]; then
    start_r "$policy"
    ss_load l "$(ss_swanctl_conf l auth=pubkey cert="$pki/$cert.pem" key="$pki/$cert.key" cacert="$pki/ca.pem" \
      local_id=l.example remote_id=r.example)"
    ss_initiate l net || it_log "strongSwan's initiation failed"
  else
    cyg_stop l
    start_r "$policy"
    lconf=$(cyg_config l auth=pubkey cert="$pki/$cert.pem" key="$pki/$cert.key" cacert="$pki/ca.pem" \
      local_id=l.example remote_id=r.example start_action=start)
    with_revocation "$lconf" relaxed
    cyg_start l "$lconf"
  fi
  if [ "$expect" = up ]; then
    cyg_wait_sa r 25 || it_fail "$cert/$policy: no SA on r"
    it_log "ok: $cert under $policy: up"
    return
  fi
  why=""
  for _ in $(seq 1 50); do
    why=$(cyg_ctl r why peer 2>&1) || true
    case $why in *"is not up. The last failure:"*) break ;; esac
    sleep 0.5
  done
  printf '%s\n' "$why" >&2
  cyg_has_no_sa r || it_fail "$cert/$policy: r has an SA"
  case $why in *"CN=l.example"*) ;; *) it_fail "$cert/$policy: why does not name the certificate" ;; esac
  case $why in *"certificate failure as responder"*) ;; *) it_fail "$cert/$policy: why does not class it a certificate failure" ;; esac
  case $why in *"fix:        "*"revo"*|*"fix:        "*"CRL / OCSP"*) ;; *) it_fail "$cert/$policy: why offers no revocation fix" ;; esac
  case $why in *"$words"*) it_log "ok: $cert under $policy refused: '$words'" ;;
    *) it_fail "$cert/$policy: why does not say '$words'" ;; esac
  grep -q "$words" "${IT_DIR[r]}/cygnetd.log" || it_fail "$cert/$policy: the log does not say '$words'"
}

run_case good ifuri up
fetches=$(cyg_stat r ike revocation_fetches) || it_fail "stats"
[ "$fetches" -ge 1 ] || it_fail "stats: revocation_fetches $fetches"
downloads=$(cyg_stat r daemon revocation_downloads) || it_fail "stats"
[ "$downloads" -ge 1 ] || it_fail "stats: revocation_downloads $downloads"
it_log "ok: stats count $fetches fetch(es), $downloads download(s)"
run_case revoked ifuri refused "revoked at"
run_case revoked relaxed refused "per CRL from $crl_uri"
run_case ocsprevoked ifuri refused "per OCSP response from $ocsp_uri"
run_case dead strict refused "revocation=strict requires proof"
run_case dead ifuri refused "unreachable"
run_case dead relaxed up
run_case expired ifuri refused "expired at"
run_case expired relaxed up

if [ -x "$CHARON" ] && command -v "$SWANCTL" >/dev/null 2>&1; then
  cyg_stop l
  ss_start l
  INITIATOR=strongswan run_case good ifuri up
  INITIATOR=strongswan run_case revoked ifuri refused "per CRL from $crl_uri"
  ss_stop l
else
  it_log "strongSwan (charon, swanctl) not installed: its cases are skipped"
fi
it_log "PASS"
