#!/usr/bin/env bash
# interop.ops.export-keys: Cygnet <-> Cygnet over IKEv2, the outer link captured from the first
# packet on. `cygnetctl export-keys --format wireshark DIR` writes the key tables, and tshark, given
# only those files, must show the decrypted IKE_AUTH (IDi, IDr, AUTH) and the inner ICMP of the ESP
# packets — for aes256gcm16 (IKE and ESP) and for aes128-sha256 (CBC + HMAC); and for IKEv1, the
# encrypted Main Mode messages (IDs, HASH) and ESP. Export must be refused by the daemon that has
# allow_key_export = false, and for a non-root client.
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=90
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
for tool in tshark dumpcap setpriv; do command -v "$tool" >/dev/null 2>&1 || it_skip "$tool not installed"; done
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"

ns_create_pair

# cyg_config plus [daemon] allow_key_export.
config_with_export() {
  local node=$1 allow=$2 f
  shift 2
  f=$(cyg_config "$node" "$@")
  sed -i "/^log_level = /a allow_key_export = $allow" "$f"
  echo "$f"
}

# Packets of CAPTURE that tshark, reading with the key files in KEYS, shows for FILTER.
tshark_count() {
  local capture=$1 keys=$2 filter=$3
  local lines
  lines=$(XDG_CONFIG_HOME=$keys tshark -n -r "$capture" -o esp.enable_encryption_decode:TRUE -Y "$filter" 2>"$IT_TMP/tshark.err") ||
    it_fail "tshark failed on '$filter': $(cat "$IT_TMP/tshark.err")"
  grep -q "Error loading table" "$IT_TMP/tshark.err" && it_fail "tshark refused a key table: $(cat "$IT_TMP/tshark.err")"
  [ -z "$lines" ] && echo 0 || wc -l <<<"$lines"
}

run_suite() {
  local suite=$1 ike=$2 esp=$3 version=${4:-2} capture=$IT_TMP/$1.pcapng keys=$IT_TMP/$1-profile
  it_step "$suite: capture, tunnel up, ping"
  it_spawn "${IT_NS[l]}" "$IT_TMP/$suite-dumpcap.log" timeout 60 dumpcap -q -i out0 -w "$capture"
  local dumpcap_pid=$IT_LAST_PID
  it_wait_for 5 "dumpcap to start writing" test -s "$capture" || it_fail "dumpcap did not start"
  sleep 0.3
  cyg_start r "$(config_with_export r false ike_version="$version" ike_proposals="$ike" esp_proposals="$esp")"
  cyg_start l "$(config_with_export l true ike_version="$version" ike_proposals="$ike" esp_proposals="$esp" start_action=start)"
  cyg_wait_sa l 15 || it_fail "$suite: tunnel did not come up"
  tr_ping l r 3 || it_fail "$suite: no ping through the tunnel"

  mkdir -p "$keys/wireshark"
  it_step "$suite: export refused where allow_key_export = false"
  local out rc=0
  out=$(cyg_ctl r export-keys --format wireshark "$keys/wireshark" 2>&1) || rc=$?
  [ "$rc" -eq 1 ] && grep -q "allow_key_export" <<<"$out" || it_fail "r exported keys without allow_key_export (rc $rc: $out)"
  grep -q "key export by pid .* refused: \[daemon\] allow_key_export is false" "${IT_DIR[r]}/cygnetd.log" ||
    it_fail "r did not log the refused export"

  it_step "$suite: export refused for a non-root client"
  # Let uid 65534 reach the socket, so that the daemon's own SO_PEERCRED check is what refuses.
  chmod o+x "$IT_TMP" "${IT_DIR[l]}"
  chmod o+rw "$(cyg_socket l)"
  rc=0
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups timeout 10 "$CYGNETCTL" --socket "$(cyg_socket l)" \
        export-keys --format wireshark /tmp 2>&1) || rc=$?
  chmod o-rw "$(cyg_socket l)"
  chmod o-x "$IT_TMP" "${IT_DIR[l]}"
  [ "$rc" -eq 1 ] && grep -q "only root" <<<"$out" || it_fail "non-root export not refused by the daemon (rc $rc: $out)"
  grep -q "key export by pid [0-9]* uid 65534 refused: not root" "${IT_DIR[l]}/cygnetd.log" ||
    it_fail "l did not log the non-root refusal"

  it_step "$suite: export as root"
  out=$(cyg_ctl l export-keys --format wireshark "$keys/wireshark" 2>&1) || it_fail "export failed: $out"
  it_log "$out"
  [ "$(stat -c %a "$keys/wireshark/esp_sa")" = 600 ] || it_fail "esp_sa is not mode 0600"
  [ "$(stat -c %a "$keys/wireshark/ikev2_decryption_table")" = 600 ] || it_fail "ikev2_decryption_table is not 0600"
  [ "$(stat -c %a "$keys/wireshark/ikev1_decryption_table")" = 600 ] || it_fail "ikev1_decryption_table is not 0600"
  local v2_count=1 v1_count=0
  [ "$version" = 1 ] && v2_count=0 v1_count=1
  grep -q "exporting SA keys to pid [0-9]* uid 0: $v2_count IKEv2 SAs, $v1_count IKEv1 SAs, 2 ESP SA directions" \
    "${IT_DIR[l]}/cygnetd.log" ||
    it_fail "the export was not logged as a warning with its SA counts"
  # The log names the export but never a key.
  local key
  if [ "$version" = 1 ]; then
    key=$(sed -n '2p' "$keys/wireshark/ikev1_decryption_table" | cut -d, -f2)
  else
    key=$(sed -n '2p' "$keys/wireshark/ikev2_decryption_table" | cut -d, -f3)
  fi
  [ -n "$key" ] && ! grep -qi "$key" "${IT_DIR[l]}/cygnetd.log" || it_fail "a key appears in the log"

  tr_ping l r 2 || true  # a few more ESP packets after the export
  sleep 0.5
  it_stop_pid "$dumpcap_pid" 5 || true

  it_step "$suite: tshark decrypts with the exported files only"
  local without auth ids icmp_esp
  # IKEv2: IKE_AUTH (35) carries IDi, IDr and AUTH. IKEv1: Main Mode (2) messages 5 and 6 carry
  # ID and HASH, encrypted.
  local exchange=35 auth_field=isakmp.auth.data both_ids="&&" min_ids=1
  [ "$version" = 1 ] && exchange=2 auth_field=isakmp.hash both_ids="||" min_ids=2
  local auth_filter="isakmp.exchangetype == $exchange && $auth_field"
  without=$(tshark_count "$capture" "$IT_TMP/empty-profile" "$auth_filter || (esp && icmp)")
  auth=$(tshark_count "$capture" "$keys" "$auth_filter")
  ids=$(tshark_count "$capture" "$keys" \
        "isakmp.exchangetype == $exchange && (isakmp.id.data.ipv4_addr == ${IT_OUTER[l]} $both_ids isakmp.id.data.ipv4_addr == ${IT_OUTER[r]})")
  icmp_esp=$(tshark_count "$capture" "$keys" "esp && icmp.type == 8 && ip.src == ${IT_INNER[l]}")
  it_log "$suite: IKE_AUTH with IDi+IDr decrypted: $ids, with AUTH: $auth (without keys: $without); ESP with inner ICMP echo: $icmp_esp"
  [ "$without" -eq 0 ] || it_fail "$suite: IKE_AUTH or ESP payloads visible without keys (the check would prove nothing)"
  [ "$ids" -ge "$min_ids" ] || it_fail "$suite: tshark did not decrypt IDi/IDr of IKE_AUTH"
  [ "$auth" -ge 2 ] || it_fail "$suite: tshark did not decrypt both AUTH payloads"
  [ "$icmp_esp" -ge 5 ] || it_fail "$suite: tshark did not decrypt the ESP packets' inner ICMP"

  cyg_stop l
  cyg_stop r
}

mkdir -p "$IT_TMP/empty-profile/wireshark"
run_suite gcm aes256gcm16-prfsha256-x25519 aes256gcm16
run_suite cbc aes128-sha256-x25519 aes128-sha256
run_suite ikev1 aes256-sha256-modp2048 aes256-sha256 1
it_log "PASS"
