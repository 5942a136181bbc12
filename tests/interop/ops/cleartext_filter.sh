#!/usr/bin/env bash
# Cleartext that bypasses the tunnel is dropped (RFC 4301 §5.2). Cygnet <-> Cygnet tunnel
# 198.51.100.0/24 + 2001:db8:1::/64 (l) <-> 203.0.113.0/24 + 2001:db8:2::/64 (r). From r's outer
# side, scapy sends 20 spoofed cleartext ICMP echo requests 203.0.113.7 -> 198.51.100.1 (and 20
# ICMPv6 ones 2001:db8:2::7 -> 2001:db8:1::1) straight onto the veth toward l:
#   1. drop_cleartext = false: they reach l's protected host and are answered through the tunnel
#      (the hole this filter closes: proves the packets would get through);
#   2. drop_cleartext = true (default): none reaches l, nothing is answered, pings through the
#      tunnel still work, `cygnetctl stats` counts 20 drops for peer/net;
#   3. a reload with drop_cleartext = false deletes the table, one back to true reinstalls it;
#   4. while CHILD SAs rekey every ~3.5 s, 100 spoofed packets over 4 s are all dropped (no gap);
#   5. SIGTERM removes the nftables table; after a kill -9 the next start removes the stale one.
# Run as root: flock /tmp/cygnet-netns.lock tests/interop/ops/cleartext_filter.sh
set -u
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../strongswan" && pwd)/lib.sh"

it_require nft "$IT_PYTHON" ping
"$IT_PYTHON" -c 'import scapy' 2>/dev/null || it_skip "python3-scapy is not installed"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
it_init

SPOOFED=20
FILTER_TABLE=cygnet  # kCleartextFilterTable

# Spoofed echo requests from r's out0 to l's out0 MAC: cleartext that never went through a tunnel.
send_spoofed() {  # [COUNT] [INTERVAL] [FAMILY 4|6]
  local count=${1:-$SPOOFED} interval=${2:-0.02} family=${3:-4} l_mac
  l_mac=$(ip -n "${IT_NS[l]}" -j link show out0 | "$IT_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
  timeout 20 ip netns exec "${IT_NS[r]}" "$IT_PYTHON" - "$l_mac" "$count" "$interval" "$family" <<'PY' || it_fail "scapy send"
import sys
from scapy.all import Ether, IP, IPv6, ICMP, ICMPv6EchoRequest, Raw, sendp, conf
conf.verb = 0
mac, count, interval, family = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
if family == "6":
    packets = [Ether(dst=mac) / IPv6(src="2001:db8:2::7", dst="2001:db8:1::1") / ICMPv6EchoRequest(id=0x5eed, seq=i, data=b"spoof")
               for i in range(count)]
else:
    packets = [Ether(dst=mac) / IP(src="203.0.113.7", dst="198.51.100.1") / ICMP(type=8, id=0x5eed, seq=i) / Raw(b"spoof")
               for i in range(count)]
sendp(packets, iface="out0", inter=interval)
PY
  sleep 1  # replies, if any, leave through the tunnel
}

# On l, at the input hook (after prerouting): the spoofed requests that reached the protected host.
count_setup_l() {
  ip netns exec "${IT_NS[l]}" nft -f - <<'EOF2' || it_fail "nft counters in l"
table inet spoof_seen {
  counter reached {}
  counter reached6 {}
  chain in {
    type filter hook input priority 0;
    ip saddr 203.0.113.7 icmp type echo-request counter name reached
    ip6 saddr 2001:db8:2::7 icmpv6 type echo-request counter name reached6
  }
}
EOF2
}
reached_l() {  # [reached|reached6]
  ip netns exec "${IT_NS[l]}" nft list counter inet spoof_seen "${1:-reached}" | sed -n 's/.*packets \([0-9]*\).*/\1/p' | awk 'NR == 1'
}
# Both families in every tunnel (toml_list splits on spaces).
TS_L="198.51.100.0/24 2001:db8:1::/64"
TS_R="203.0.113.0/24 2001:db8:2::/64"
cyg_config_l() { cyg_config l local_ts="$TS_L" remote_ts="$TS_R" "$@"; }
filter_table_present() { ip netns exec "${IT_NS[l]}" nft list table inet "$FILTER_TABLE" >/dev/null 2>&1; }
rekeyed_at_least() { [ "$(cyg_stat l ike child_sas_rekeyed)" -ge "$1" ]; }
filter_drops() { cyg_stats l | it_json "d['cleartext_filter']['drops'].get('peer/net', 0)"; }

it_step "namespaces, Cygnet in r"
ns_create_pair
count_setup_l
cyg_start r "$(cyg_config r local_ts="$TS_R" remote_ts="$TS_L")"

# --- 1. the hole, with the filter off ---------------------------------------------------------
it_step "drop_cleartext = false: spoofed cleartext gets through"
config_l=$(cyg_config_l start_action=start)
sed -i 's/^\[daemon\]$/[daemon]\ndrop_cleartext = false/' "$config_l"
cyg_start l "$config_l"
cyg_wait_sa l 15 || it_fail "no SA with the filter off"
tr_ping l r 3 || it_fail "ping through the tunnel (filter off)"
filter_table_present && it_fail "drop_cleartext = false but table inet $FILTER_TABLE exists"
out_before=$(cyg_child_counter l outbound packets)
send_spoofed
reached=$(reached_l)
answered=$(( $(cyg_child_counter l outbound packets) - out_before ))
it_log "filter off: $reached/$SPOOFED spoofed requests reached l, $answered answers left through the tunnel"
[ "$reached" -eq "$SPOOFED" ] || it_fail "filter off: expected all $SPOOFED spoofed requests to reach l, got $reached"
[ "$answered" -ge "$SPOOFED" ] || it_fail "filter off: expected $SPOOFED answers through the tunnel, got $answered"
send_spoofed "$SPOOFED" 0.02 6
reached6=$(reached_l reached6)
it_log "filter off: $reached6/$SPOOFED spoofed ICMPv6 requests reached l"
[ "$reached6" -eq "$SPOOFED" ] || it_fail "filter off: expected all $SPOOFED spoofed ICMPv6 requests to reach l, got $reached6"
cyg_stop l || it_fail "cygnetd (filter off) did not exit cleanly"

# --- 2. the filter ----------------------------------------------------------------------------
it_step "drop_cleartext = true (default): spoofed cleartext is dropped"
ip netns exec "${IT_NS[l]}" nft reset counters table inet spoof_seen >/dev/null
cyg_start l "$(cyg_config_l start_action=start)"
filter_table_present || it_fail "table inet $FILTER_TABLE missing while the filter is on"
cyg_wait_sa l 15 || it_fail "no SA with the filter on"
tr_ping l r 3 || it_fail "ping l -> r through the tunnel with the filter on"
tr_ping r l 3 || it_fail "ping r -> l through the tunnel with the filter on"
out_before=$(cyg_child_counter l outbound packets)
send_spoofed
reached=$(reached_l)
answered=$(( $(cyg_child_counter l outbound packets) - out_before ))
drops=$(filter_drops)
it_log "filter on: $reached/$SPOOFED reached l, $answered answered, cygnetctl stats: $drops dropped"
ip netns exec "${IT_NS[l]}" nft list table inet "$FILTER_TABLE" >&2
[ "$reached" -eq 0 ] || it_fail "filter on: $reached spoofed requests reached l"
[ "$answered" -eq 0 ] || it_fail "filter on: $answered packets went out through the tunnel"
[ "$drops" -eq "$SPOOFED" ] || it_fail "filter on: stats count $drops drops, expected $SPOOFED"
tr_ping l r 3 || it_fail "ping through the tunnel after the spoofing"
tr_ping l r 3 0.2 6 || it_fail "ping6 through the tunnel with the filter on"
send_spoofed "$SPOOFED" 0.02 6
reached6=$(reached_l reached6)
drops=$(filter_drops)
it_log "filter on: $reached6/$SPOOFED spoofed ICMPv6 requests reached l, cygnetctl stats: $drops dropped in total"
[ "$reached6" -eq 0 ] || it_fail "filter on: $reached6 spoofed ICMPv6 requests reached l"
[ "$drops" -eq $((2 * SPOOFED)) ] || it_fail "filter on: stats count $drops drops, expected $((2 * SPOOFED))"
cyg_ctl l stats | grep -q "peer/net: $((2 * SPOOFED)) dropped" || it_fail "cygnetctl stats (text) does not show the drops"

it_step "reload: drop_cleartext = false deletes the table, true reinstalls it"
config_l=$(cyg_config_l start_action=start)
sed -i 's/^\[daemon\]$/[daemon]\ndrop_cleartext = false/' "$config_l"
cyg_ctl l reload >/dev/null || it_fail "reload (filter off)"
filter_table_present && it_fail "table still there after reloading with drop_cleartext = false"
cyg_stats l | it_json "d['cleartext_filter']['enabled'] is False" || it_fail "stats still report the filter on"
sed -i '/^drop_cleartext = false$/d' "$config_l"
cyg_ctl l reload >/dev/null || it_fail "reload (filter on)"
filter_table_present || it_fail "table not reinstalled by the reload"
cyg_has_sa l || it_fail "the SA did not survive the reloads (nothing changed in the connection)"
tr_ping l r 3 || it_fail "ping through the tunnel after the reloads"

it_step "rekeys every ~3.5 s: no gap in the filter"
cyg_stop l || it_fail "cygnetd did not exit cleanly"
filter_table_present && it_fail "table inet $FILTER_TABLE still there after SIGTERM"
ip netns exec "${IT_NS[l]}" nft reset counter inet spoof_seen reached >/dev/null
cyg_start l "$(cyg_config_l start_action=start lifetime=4s)"  # rekeyed at ~3.2-3.6 s
cyg_wait_sa l 15 || it_fail "no SA (short lifetime)"
it_wait_for 10 "a first CHILD SA rekey in l" rekeyed_at_least 1 || it_fail "no CHILD SA rekey"
rekeys_before=$(cyg_stat l ike child_sas_rekeyed)
send_spoofed 100 0.04
rekeys=$(( $(cyg_stat l ike child_sas_rekeyed) - rekeys_before ))
reached=$(reached_l)
drops=$(filter_drops)
it_log "across $rekeys rekey(s): $reached/100 reached l, $drops dropped"
[ "$rekeys" -ge 1 ] || it_fail "no rekey happened while spoofing"
[ "$reached" -eq 0 ] || it_fail "$reached spoofed requests reached l across a rekey"
[ "$drops" -eq 100 ] || it_fail "stats count $drops drops across rekeys, expected 100"
tr_ping l r 3 || it_fail "ping through the rekeyed tunnel"
rules=$(ip netns exec "${IT_NS[l]}" nft list chain inet "$FILTER_TABLE" prerouting | grep -c ' drop$')
[ "$rules" -eq 2 ] || it_fail "expected two drop rules (one per family) after rekeys, found $rules"

it_step "SIGTERM removes the table"
cyg_stop l || it_fail "cygnetd did not exit cleanly"
filter_table_present && it_fail "table inet $FILTER_TABLE still there after SIGTERM"

it_step "kill -9 leaves the table; the next start removes it"
cyg_start l "$(cyg_config_l)"
filter_table_present || it_fail "table missing after start"
kill -KILL "${IT_PID[l]}"
wait "${IT_PID[l]}" 2>/dev/null
IT_PID[l]=""
filter_table_present || it_fail "the table should survive a kill -9 (nothing removed it)"
# Stale rule: the next start must begin from an empty table, not keep or duplicate it.
cyg_start l "$(cyg_config_l)"
grep -q "deleted table inet $FILTER_TABLE left by a previous cygnetd" "${IT_DIR[l]}/cygnetd.log" ||
  it_fail "the restarted cygnetd did not report deleting the stale table"
rules=$(ip netns exec "${IT_NS[l]}" nft list chain inet "$FILTER_TABLE" prerouting | grep -c ' drop$')
[ "$rules" -eq 2 ] || it_fail "expected two drop rules (one per family) after the restart, found $rules"
cyg_stop l || it_fail "cygnetd did not exit cleanly after the restart"
filter_table_present && it_fail "table still there after the last SIGTERM"
exit 0
