#!/usr/bin/env bash
# interop.ops.builtin_proposals: the proposal sets of the IKEv2 clients built into Windows,
# macOS/iOS and Android, and of strongSwan's own clients, against Cygnet gateways configured from
# examples/rw-*.toml (docs/remote-access.md, "Built-in clients"). strongSwan's charon (l) stands
# in for each client: it offers exactly that client's default IKE and ESP proposals and logs in the
# way that client does; cygnetd (r) runs the matching example file as shipped, with only its
# [daemon] table and certificate paths replaced by the test's.
#   1. Windows 10/11 defaults (MODP-1024, 3DES/AES-CBC, SHA-1 for ESP) against rw-windows.toml:
#      refused with NO_PROPOSAL_CHOSEN; cygnetd's log shows both offers and the missing group.
#   2. Windows after Set-VpnConnectionIPsecConfiguration (aes256-sha256-ecp256, ESP aes256-sha256),
#      EAP-MSCHAPv2: up, virtual IP, ping.
#   3. iOS defaults (aes256-sha256-modp2048 first, then ecp256, modp1536, and SHA-1/MODP-1024 ones),
#      EAP-MSCHAPv2, against rw-apple.toml: up with aes256-sha256-modp2048, virtual IP, ping.
#   4. Android 11+ native client (AES-CBC + SHA-2 / AES-GCM + ChaCha20 with MODP-4096 first, so an
#      INVALID_KE_PAYLOAD round), EAP-MSCHAPv2, against rw-android.toml: up, virtual IP, ping.
#   5. strongSwan app / NetworkManager-strongswan: strongSwan's default proposals, certificates both
#      ways (no EAP), against rw-strongswan.toml: up, virtual IP, ping; the lease under the
#      client certificate's identity.
# Not offered here: Android's AES-CTR and AES-CMAC transforms, Windows' DES and NULL ESP
# transforms (charon's plugin set here lacks some of them; Cygnet implements none of them, so the
# outcome is the same).
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=220
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
[ -x "$CHARON" ] || it_skip "strongSwan charon not installed ($CHARON)"
command -v "$SWANCTL" >/dev/null 2>&1 || it_skip "swanctl not installed"
command -v openssl >/dev/null 2>&1 || it_skip "openssl not installed"
for p in eap-mschapv2 eap-identity xcbc; do
  [ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || it_skip "strongSwan plugin $p not installed"
done
SS_PLUGINS="$SS_PLUGINS eap-mschapv2 eap-identity xcbc"
EXAMPLES=$IT_SOURCE_ROOT/examples

ns_create_pair
# The pool 198.51.100.128/25 must not be on l's own link.
ip -n "${IT_NS[l]}" addr flush dev prot0
ip -n "${IT_NS[l]}" addr add 198.51.100.1/25 dev prot0

it_step "PKI: a CA, the gateway's certificate (vpn.example.com) and a client certificate"
pki=$IT_TMP/pki
pki_ca "$pki" rsa
pki_host "$pki" gw rsa DNS:vpn.example.com
pki_host "$pki" phone rsa DNS:phone.example.com

# The example as shipped, with our [daemon] table instead of its own and the test's PKI instead
# of examples/pki: gateway_from_example FILE -> path of the configuration to run.
gateway_from_example() {
  local example=$1 name out
  name=$(basename "$example" .toml)
  out=$IT_TMP/$name.toml
  {
    printf '[daemon]\nlisten = ["%s"]\ncontrol_socket = "%s"\ntun = "cyg%sr"\nlog_level = "debug"\n' \
      "${IT_OUTER[r]}" "$(cyg_socket r)" "$(($$ % 100000))"
    printf 'state_dir = "%s"\n\n' "$IT_TMP/state-$name"
    awk '/^\[daemon\]/ { skip = 1; next } /^\[/ { skip = 0 } !skip' "$example" |
      sed -e "s#\"pki/vpn.example.com.pem\"#\"$pki/gw.pem\"#" -e "s#\"pki/vpn.example.com.key\"#\"$pki/gw.key\"#" \
        -e "s#\"pki/ca.pem\"#\"$pki/ca.pem\"#"
  } >"$out"
  "$CYGNETCTL" check "$out" >"$out.check" 2>&1 || { cat "$out.check" >&2; it_fail "$name does not load"; }
  if grep -q "^warning\|^note" "$out.check"; then
    cat "$out.check" >&2
    it_fail "$name draws findings"
  fi
  echo "$out"
}

PASSWORD=$(sed -n 's/^password = "\(.*\)"$/\1/p' "$EXAMPLES/rw-windows.toml" | head -n1)
[ -n "$PASSWORD" ] || it_fail "no example password in rw-windows.toml"

# charon: one connection per client family, exactly that family's proposals.
ss_write_strongswan_conf l
sed -i 's/install_virtual_ip = no/install_virtual_ip = yes/' "${IT_DIR[l]}/strongswan.conf"
ss_start l
for sub in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
  mkdir -p "${IT_DIR[l]}/$sub"
done
cp "$pki/phone.key" "${IT_DIR[l]}/private/"
client_conn() {  # NAME IKE_PROPOSALS ESP_PROPOSALS AUTH(eap|cert)
  local local_auth
  if [ "$4" = eap ]; then
    local_auth="auth = eap-mschapv2
      id = laptop.example
      eap_id = alice"
  else
    local_auth="auth = pubkey
      certs = $pki/phone.pem
      id = phone.example.com"
  fi
  printf '  %s {\n    version = 2\n    local_addrs = %s\n    remote_addrs = %s\n    proposals = %s\n' \
    "$1" "${IT_OUTER[l]}" "${IT_OUTER[r]}" "$2"
  printf '    vips = 0.0.0.0\n    mobike = no\n    local {\n      %s\n    }\n' "$local_auth"
  printf '    remote {\n      auth = pubkey\n      id = vpn.example.com\n      cacerts = %s\n    }\n' "$pki/ca.pem"
  printf '    children {\n      corp {\n        remote_ts = 203.0.113.0/24\n        esp_proposals = %s\n' "$3"
  printf '      }\n    }\n  }\n'
}
# Android's VpnIkev2Utils (AOSP): a CBC + SHA-2 proposal and an AEAD one, both with these PRFs and groups.
ANDROID_GROUPS="prfsha512-prfsha384-prfsha256-prfaesxcbc-prfsha1-modp4096-curve25519-modp3072-modp2048"
ANDROID_IKE="aes256-aes192-aes128-sha512-sha384-sha256-aesxcbc-$ANDROID_GROUPS"
ANDROID_AEAD="chacha20poly1305-aes256gcm16-aes256gcm12-aes256gcm8-aes192gcm16-aes192gcm12-aes192gcm8-aes128gcm16-aes128gcm12-aes128gcm8"
ANDROID_ESP="aes256-aes192-aes128-sha512-sha384-sha256-aesxcbc"
{
  echo "connections {"
  client_conn windows-default "3des-aes128-aes192-aes256-sha1-sha256-sha384-modp1024" "aes256-aes128-3des-sha1" eap
  client_conn windows-powershell "aes256-sha256-ecp256" "aes256-sha256" eap
  client_conn ios "aes256-sha256-modp2048, aes256-sha256-ecp256, aes256-sha256-modp1536, aes128-sha1-modp1024, 3des-sha1-modp1024" \
    "aes256-sha256, aes128-sha1, 3des-sha1" eap
  client_conn android "$ANDROID_IKE, $ANDROID_AEAD-$ANDROID_GROUPS" "$ANDROID_ESP, $ANDROID_AEAD" eap
  client_conn strongswan-app "default" "default" cert
  echo "}"
  printf 'secrets {\n  eap-alice {\n    id = alice\n    secret = "%s"\n  }\n}\n' "$PASSWORD"
} >"${IT_DIR[l]}/swanctl.conf"
ss_load l

# Brings FAMILY up against the running gateway: virtual IP, ping, what cygnetctl shows. Prints the
# IKE and ESP algorithms Cygnet chose.
expect_up() {  # FAMILY CONNECTION(on r) IDENTITY
  local family=$1 conn=$2 who=$3 vip
  ss_ctl l --initiate --child corp --ike "$family" --timeout 20 >"${IT_DIR[l]}/swanctl-$family.log" 2>&1 || {
    cat "${IT_DIR[l]}/swanctl-$family.log" >&2
    tail -n 40 "${IT_DIR[r]}/cygnetd.log" >&2
    it_fail "$family: strongSwan with $family's proposals could not connect"
  }
  cyg_wait_sa r 15 "$conn" corp || it_fail "$family: no SA on r"
  vip=$(cyg_status r | it_json "[sa['remote_virtual_ips'][0] for c in d['connections'] for sa in c['ike_sas'] if sa['remote_virtual_ips']][0]") ||
    it_fail "$family: no virtual IP leased"
  grep -q "installing new virtual IP $vip" "${IT_DIR[l]}/charon.log" || it_fail "$family: charon did not install $vip"
  cyg_status r | it_json "any(sa['remote_id'] == '$who' or sa['eap_identity'] == '$who' for c in d['connections'] for sa in c['ike_sas'])" ||
    it_fail "$family: cygnetctl status does not show $who"
  cyg_ctl r status | grep -q "clients (1):" || it_fail "$family: cygnetctl status lists no client"
  cyg_ctl r leases | grep -q "$vip  online   $who" || it_fail "$family: cygnetctl leases does not show $vip for $who"
  ip netns exec "${IT_NS[l]}" timeout 10 ping -c 3 -i 0.2 -W 2 -I "$vip" 203.0.113.1 >/dev/null ||
    it_fail "$family: no ping from $vip through the tunnel"
  cyg_status r | it_json "[sa['algorithms'] + ' / ' + sa['child_sas'][0]['algorithms'] for c in d['connections'] for sa in c['ike_sas']][0]"
}

run_gateway() {  # EXAMPLE
  local config
  IT_DIR[r]=$IT_TMP/r-$(basename "$1" .toml)
  mkdir -p "${IT_DIR[r]}"
  config=$(gateway_from_example "$1") || exit 1
  cyg_start r "$config"
}
stop_gateway() {
  cyg_stop r || it_fail "cygnetd did not stop cleanly"
}

it_step "1. Windows defaults against rw-windows.toml: refused (NO_PROPOSAL_CHOSEN)"
run_gateway "$EXAMPLES/rw-windows.toml"
ss_ctl l --initiate --child corp --ike windows-default --timeout 15 >"${IT_DIR[l]}/swanctl-windows-default.log" 2>&1 &&
  it_fail "charon connected with Windows' default (MODP-1024) proposals"
grep -q "received NO_PROPOSAL_CHOSEN notify error" "${IT_DIR[l]}/charon.log" ||
  it_fail "charon did not receive NO_PROPOSAL_CHOSEN"
# "no-proposal-chosen: IKE_SA_INIT from ...: peer offered [...modp1024]; we accept [...]: no common
# key exchange group"
refusal='no-proposal-chosen: IKE_SA_INIT from 192.0.2.1.*modp1024.*we accept.*no common key exchange group'
it_wait_for 5 "r to log the refusal" grep -q "$refusal" "${IT_DIR[r]}/cygnetd.log" ||
  it_fail "cygnetd's log does not explain the refusal (offer, ours, no common group)"
it_log "cygnetd: $(grep -m1 "no-proposal-chosen" "${IT_DIR[r]}/cygnetd.log" | cut -c1-400)"
[ "$(cyg_stat r ike no_proposal_chosen)" -ge 1 ] || it_fail "the refusal is not counted"
cyg_ctl r why windows | grep -q "modp1024" || it_fail "cygnetctl why does not name the refused group"

it_step "2. Windows after Set-VpnConnectionIPsecConfiguration: aes256-sha256-ecp256, EAP-MSCHAPv2"
algs=$(expect_up windows-powershell windows alice) || exit 1
it_log "Windows (PowerShell settings): $algs"
case $algs in *ecp256*) ;; *) it_fail "Windows: expected ECP-256, got $algs" ;; esac
ss_ctl l --terminate --ike windows-powershell --timeout 10 >/dev/null 2>&1 || true
stop_gateway

it_step "3. iOS defaults against rw-apple.toml, EAP-MSCHAPv2"
run_gateway "$EXAMPLES/rw-apple.toml"
algs=$(expect_up ios apple alice) || exit 1
it_log "iOS: $algs"
case $algs in *aes256*sha256*modp2048*) ;; *) it_fail "iOS: expected aes256-sha256-modp2048, got $algs" ;; esac
case $algs in *sha1* | *3des* | *modp1024*) it_fail "iOS: a legacy algorithm was chosen: $algs" ;; esac
ss_ctl l --terminate --ike ios --timeout 10 >/dev/null 2>&1 || true
stop_gateway

it_step "4. Android native defaults against rw-android.toml, EAP-MSCHAPv2 (MODP-4096 first: INVALID_KE)"
run_gateway "$EXAMPLES/rw-android.toml"
algs=$(expect_up android android alice) || exit 1
it_log "Android: $algs"
case $algs in *gcm16* | *chacha20poly1305*) ;; *) it_fail "Android: expected an AEAD, got $algs" ;; esac
grep -Eq "INVAL_KE|didn't accept DH group MODP_4096" "${IT_DIR[l]}/charon.log" ||
  it_fail "Android: no INVALID_KE_PAYLOAD round seen"
ss_ctl l --terminate --ike android --timeout 10 >/dev/null 2>&1 || true
stop_gateway

it_step "5. strongSwan app / NetworkManager: default proposals, certificates both ways"
run_gateway "$EXAMPLES/rw-strongswan.toml"
algs=$(expect_up strongswan-app strongswan phone.example.com) || exit 1
it_log "strongSwan app / NetworkManager: $algs"
cyg_status r | it_json "all(sa['eap_identity'] == '' for c in d['connections'] for sa in c['ike_sas'])" ||
  it_fail "the certificate-only client shows an EAP identity"
ss_ctl l --terminate --ike strongswan-app --timeout 10 >/dev/null 2>&1 || true
stop_gateway

it_log "PASS"
