#!/usr/bin/env bash
# interop.ops.import-swanctl: `cygnetctl import-swanctl` on the strongSwan side of interop
# scenarios. For each part, strongSwan runs in l with its own configuration; the configuration
# the harness writes for a strongSwan peer in r (ss_swanctl_conf) is imported, cygnetd runs in r
# with the result (only a [daemon] table added: listen address, socket, TUN name), and the tunnel
# must come up and carry pings both ways:
#   psk-aes256gcm16-x25519   IKEv2 PSK, IKE aes256gcm16-prfsha256-x25519, ESP aes256gcm16; r's
#                            start_action = start, so the imported Cygnet initiates
#   psk-defaults             IKEv2 PSK with proposals = default and esp_proposals = default on both
#                            ends: the importer's spelled-out strongSwan defaults must match
#   cert-ecdsa               IKEv2 with ECDSA certificates (certs/cacerts paths, the key found in
#                            r's private/ folder), FQDN identities; strongSwan initiates
#   psk-chacha20poly1305     IKE chacha20poly1305-prfsha256-x25519, ESP chacha20poly1305
#   psk-aes128-sha256-ecp256 IKE aes128-sha256-ecp256, ESP aes128-sha256-ecp256 (PFS group)
#   cert-rsa                 IKEv2 with RSA-2048 certificates, IP address identities (the default
#                            identity: the certificate's subject DN)
#   ikev1-main-psk           IKEv1 Main Mode PSK, aes256-sha256-modp2048 / aes256-sha256
#   ikev1-main-cert-ecdsa    IKEv1 Main Mode with ECDSA certificates, FQDN identities
#   ikev1-quick-pfs          IKEv1, ESP aes128-sha256-ecp256: Quick Mode with PFS
#   ikev1-aggressive-psk     IKEv1 Aggressive Mode PSK (aggressive = yes -> aggressive = true)
# Exit 0 pass, 1 fail, 77 skipped (not root, strongSwan or cygnetd/cygnetctl missing).
# Run as root: flock /tmp/cygnet-netns.lock tests/interop/ops/import_swanctl.sh [PART...]
set -u
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"
: "${IT_DEADLINE:=100}"

PARTS=(psk-aes256gcm16-x25519 psk-defaults psk-chacha20poly1305 psk-aes128-sha256-ecp256 cert-ecdsa cert-rsa
  ikev1-main-psk ikev1-main-cert-ecdsa ikev1-quick-pfs ikev1-aggressive-psk)
[ $# -gt 0 ] && PARTS=("$@")

it_require ip ping timeout "$CHARON" "$SWANCTL"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
it_init

# Imports r's swanctl.conf and prints the path of a cygnetd configuration for r.
import_for_r() {
  local conf=$1 dir=${IT_DIR[r]} out
  out=$dir/imported.toml
  "$CYGNETCTL" import-swanctl "$conf" -o "$out" 2>"$dir/import.stderr" || {
    cat "$dir/import.stderr" >&2
    it_fail "import-swanctl failed"
  }
  it_log "import: $(tail -n 1 "$dir/import.stderr")"
  grep -q '^\[connections\.peer\]' "$out" || { cat "$out" "$dir/import.stderr" >&2; it_fail "connection 'peer' was not imported"; }
  {
    printf '[daemon]\nlisten = ["%s"]\ncontrol_socket = "%s"\ntun = "cyg%sr"\nlog_level = "debug"\n\n' \
      "${IT_OUTER[r]}" "$(cyg_socket r)" "$(($$ % 100000))"
    cat "$out"
  } >"$dir/cygnetd.toml"
  "$CYGNETCTL" check "$dir/cygnetd.toml" >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; it_fail "cygnetctl check refused the import"; }
  echo "$dir/cygnetd.toml"
}

run_part() {
  local part=$1 pki=$IT_TMP/pki-$1
  local -a left=() right=()
  local initiator=l
  IT_PART=$part
  it_step "part $part"
  ns_create_pair
  case $part in
    psk-aes256gcm16-x25519) right=(start_action=start) initiator=r ;;
    psk-defaults) left=(ike_proposals=default esp_proposals=default) right=(ike_proposals=default esp_proposals=default) ;;
    psk-chacha20poly1305)
      left=(ike_proposals=chacha20poly1305-prfsha256-x25519 esp_proposals=chacha20poly1305)
      right=("${left[@]}")
      ;;
    psk-aes128-sha256-ecp256)
      left=(ike_proposals=aes128-sha256-ecp256 esp_proposals=aes128-sha256-ecp256)
      right=("${left[@]}")
      ;;
    cert-ecdsa | ikev1-main-cert-ecdsa)
      pki_ca "$pki" ecdsa
      pki_host "$pki" left ecdsa DNS:left.example.com IP:192.0.2.1
      pki_host "$pki" right ecdsa DNS:right.example.com IP:192.0.2.2
      left=(auth=pubkey "cert=$pki/left.pem" "key=$pki/left.key" "cacert=$pki/ca.pem" local_id=left.example.com remote_id=right.example.com)
      right=(auth=pubkey "cert=$pki/right.pem" "key=$pki/right.key" "cacert=$pki/ca.pem" local_id=right.example.com remote_id=left.example.com)
      if [ "$part" = ikev1-main-cert-ecdsa ]; then
        left+=(version=1 ike_proposals=aes256-sha256-modp2048 esp_proposals=aes256-sha256)
        right+=(version=1 ike_proposals=aes256-sha256-modp2048 esp_proposals=aes256-sha256)
      fi
      ;;
    cert-rsa)
      pki_ca "$pki" rsa
      pki_host "$pki" left rsa IP:192.0.2.1 DNS:left.example.com
      pki_host "$pki" right rsa IP:192.0.2.2 DNS:right.example.com
      left=(auth=pubkey "cert=$pki/left.pem" "key=$pki/left.key" "cacert=$pki/ca.pem")
      right=(auth=pubkey "cert=$pki/right.pem" "key=$pki/right.key" "cacert=$pki/ca.pem")
      ;;
    ikev1-main-psk)
      left=(version=1 ike_proposals=aes256-sha256-modp2048 esp_proposals=aes256-sha256)
      right=("${left[@]}")
      ;;
    ikev1-quick-pfs)
      left=(version=1 ike_proposals=aes256-sha256-modp2048 esp_proposals=aes128-sha256-ecp256)
      right=("${left[@]}")
      ;;
    ikev1-aggressive-psk)
      left=(version=1 aggressive=yes ike_proposals=aes256-sha256-modp2048 esp_proposals=aes256-sha256)
      right=("${left[@]}")
      ;;
    *) it_fail "unknown part $part" ;;
  esac
  ss_start l
  ss_load l "$(ss_swanctl_conf l "${left[@]}")"
  local config
  config=$(import_for_r "$(ss_swanctl_conf r "${right[@]}")") || exit 1
  cyg_start r "$config"
  if [ "$initiator" = l ]; then
    ss_initiate l net || it_fail "$part: swanctl --initiate against the imported Cygnet failed"
  fi
  ss_wait_sa l 15 || it_fail "$part: strongSwan has no SA"
  cyg_wait_sa r 10 || it_fail "$part: the imported Cygnet has no SA"
  if [ "${part#ikev1-}" != "$part" ]; then
    cyg_status r | it_json 'any(sa.get("version") == 1 for c in d["connections"] for sa in c.get("ike_sas", []))' ||
      it_fail "$part: Cygnet's SA is not IKEv1"
    local mode=main
    [ "$part" = ikev1-aggressive-psk ] && mode=aggressive
    cyg_status r | it_json "any(sa.get('mode') == '$mode' for c in d['connections'] for sa in c.get('ike_sas', []))" ||
      it_fail "$part: Cygnet's IKEv1 SA is not in $mode mode"
  fi
  tr_ping l r 3 0.2 || it_fail "$part: ping l -> r through the tunnel"
  tr_ping r l 3 0.2 || it_fail "$part: ping r -> l through the tunnel"
  it_log "part $part: passed ($(grep -m1 -o 'IKE_PROPOSAL\|selected proposal: .*' "${IT_DIR[l]}/charon.log" | tail -n 1))"
  it_reset
}

for p in "${PARTS[@]}"; do run_part "$p"; done
exit 0
