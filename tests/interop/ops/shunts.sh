#!/usr/bin/env bash
# Shunts (issue 15): pass and drop policies ordered before a wide tunnel, Cygnet <-> Cygnet.
#   h (198.51.100.10, LAN host) -- lan0 -- l (198.51.100.1) == out0 == r (203.0.113.1, .65)
# l's tunnel carries 198.51.100.0/24 <-> 0.0.0.0/0 (everything), r's 0.0.0.0/0 <-> 198.51.100.0/24.
# l has two shunts:
#   lan     pass 198.51.100.0/24 <-> 198.51.100.0/24: the LAN's own subnet stays local. Without it
#           the 0.0.0.0/0 route would pull l's own traffic to h into the TUN, and the cleartext
#           filter would drop what h sends to l;
#   blocked drop 203.0.113.64/26 (any source): never leaves, in the clear or through the tunnel.
# Checks: the route planner's throw route for the LAN; l <-> h pings in the clear on lan0 (tshark
# sees ICMP there, no ESP on out0 during them); h -> r's 203.0.113.1 through ESP; h -> 203.0.113.65
# fails and `cygnetctl stats` counts the drops for "blocked"; status and stats list the shunts;
# a reload without the shunts removes the throw route and l -> h no longer works.
# Run as root: flock /tmp/cygnet-netns.lock tests/interop/ops/shunts.sh
set -u
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../strongswan" && pwd)/lib.sh"

it_require nft ping tshark
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
it_init

TABLE=199  # GatewayOptions::routing_table

it_step "namespaces: h -- l == r"
ns_add l
ns_add r
ns_add h
ip -n "${IT_NS[l]}" link add out0 type veth peer name out0 netns "${IT_NS[r]}" || it_fail "veth l-r"
ip -n "${IT_NS[l]}" addr add 192.0.2.1/24 dev out0
ip -n "${IT_NS[r]}" addr add 192.0.2.2/24 dev out0
ip -n "${IT_NS[l]}" link set out0 up
ip -n "${IT_NS[r]}" link set out0 up
IT_OUTER[l]=192.0.2.1 IT_OUTER[r]=192.0.2.2
IT_PROT_NET[l]=198.51.100.0/24 IT_PROT_NET[r]=203.0.113.0/24
ip -n "${IT_NS[l]}" link add lan0 type veth peer name eth0 netns "${IT_NS[h]}" || it_fail "veth l-h"
ip -n "${IT_NS[l]}" addr add 198.51.100.1/24 dev lan0
ip -n "${IT_NS[h]}" addr add 198.51.100.10/24 dev eth0
ip -n "${IT_NS[l]}" link set lan0 up
ip -n "${IT_NS[h]}" link set eth0 up
ip -n "${IT_NS[h]}" route add default via 198.51.100.1
ip netns exec "${IT_NS[l]}" sysctl -qw net.ipv4.ip_forward=1
ns_add_protected r 203.0.113.1/24 2001:db8:2::1/64
ip -n "${IT_NS[r]}" addr add 203.0.113.65/24 dev prot0
it_wait_for 5 "veth l-r" ip netns exec "${IT_NS[l]}" ping -c1 -W1 192.0.2.2 || it_fail "l cannot reach r"
it_wait_for 5 "veth l-h" ip netns exec "${IT_NS[h]}" ping -c1 -W1 198.51.100.1 || it_fail "h cannot reach l"
nft_count_setup l

SHUNTS='
[shunts.blocked]
type = "drop"
remote_ts = ["203.0.113.64/26"]

[shunts.lan]
type = "pass"
local_ts = ["198.51.100.0/24"]
remote_ts = ["198.51.100.0/24"]
'
config_l=$(cyg_config l local_ts=198.51.100.0/24 remote_ts=0.0.0.0/0 start_action=start)
printf '%s' "$SHUNTS" >>"$config_l"
config_r=$(cyg_config r local_ts=0.0.0.0/0 remote_ts=198.51.100.0/24)

it_step "Cygnet in r and l (l has the shunts)"
cyg_start r "$config_r"
cyg_start l "$config_l"
cyg_wait_sa l 15 || it_fail "no tunnel"
# 'blocked' (every source, a /26) crosses the tunnel (198.51.100.0/24, everywhere): neither
# contains the other, so `check` warns and names both; 'lan' lies inside the tunnel: no warning.
warnings=$("$CYGNETCTL" check "$config_l" 2>&1)
grep -q "warning: shunt 'blocked'.*child 'net' of connection 'peer'" <<<"$warnings" ||
  it_fail "no overlap warning for 'blocked': $warnings"
grep -q "warning: shunt 'lan'" <<<"$warnings" && it_fail "overlap warning for 'lan', which the tunnel contains"

it_step "routes: the LAN is thrown out of the tunnel table, the drop range goes into the TUN"
routes=$(ip -n "${IT_NS[l]}" route show table "$TABLE")
it_log "table $TABLE: $(tr '\n' ';' <<<"$routes")"
grep -q '^throw 198.51.100.0/24' <<<"$routes" || it_fail "no throw route for the pass shunt's range"
grep -q '^203.0.113.64/26 dev' <<<"$routes" || it_fail "no route into the TUN for the drop shunt's range"
grep -q '^default dev' <<<"$routes" || it_fail "no route for the tunnel's 0.0.0.0/0"

ping_from() {  # NODE SOURCE DESTINATION COUNT: prints the replies
  timeout 15 ip netns exec "${IT_NS[$1]}" ping -n -c "$4" -i 0.2 -W 1 -I "$2" "$3" 2>&1 |
    sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
shunt_stat() {  # NAME FIELD
  cyg_stats l | it_json "next(s['$2'] for s in d['shunts'] if s['name'] == '$1')"
}

it_step "pass shunt: l <-> h in the clear, on lan0, not through ESP"
capture=$IT_TMP/lan0.pcapng
# -c 20: tshark stops by itself once it has the 20 echo packets (a busy machine may start or flush
# it late; nothing is lost that way).
it_spawn "${IT_NS[l]}" "$IT_TMP/tshark.stderr" timeout 30 tshark -q -i lan0 -f icmp -c 20 -w "$capture"
tshark_pid=$IT_LAST_PID
it_wait_for 10 "tshark capturing on lan0" grep -q "Capturing on" "$IT_TMP/tshark.stderr" ||
  it_fail "tshark did not start"
esp_before=$(nft_counter l esp)
got=$(ping_from l 198.51.100.1 198.51.100.10 5)
it_log "l -> h: ${got:-0}/5 replies"
[ "${got:-0}" -eq 5 ] || it_fail "l -> h through the pass shunt: ${got:-0}/5"
got=$(ping_from h 198.51.100.10 198.51.100.1 5)
it_log "h -> l: ${got:-0}/5 replies (exempt from the cleartext filter)"
[ "${got:-0}" -eq 5 ] || it_fail "h -> l through the pass shunt: ${got:-0}/5"
esp_after=$(nft_counter l esp)
[ "$esp_after" -eq "$esp_before" ] || it_fail "ESP on out0 during the LAN pings ($esp_before -> $esp_after)"
tshark_done() { ! it_alive "$tshark_pid" || [ "$(ps -o stat= -p "$tshark_pid" | cut -c1)" = Z ]; }
it_wait_for 10 "tshark to capture the 20 echo packets" tshark_done
it_stop_pid "$tshark_pid" 5 || true
clear_icmp=$(tshark -r "$capture" -Y 'icmp.type == 0 || icmp.type == 8' 2>/dev/null | wc -l)
esp_on_lan=$(tshark -r "$capture" -Y esp 2>/dev/null | wc -l)
it_log "tshark on lan0: $clear_icmp cleartext ICMP echo packets, $esp_on_lan ESP"
[ "$clear_icmp" -ge 20 ] || it_fail "expected 20 cleartext echo packets on lan0, saw $clear_icmp"
[ "$esp_on_lan" -eq 0 ] || it_fail "ESP on lan0"
[ "$(shunt_stat lan packets_out)" -eq 0 ] || it_fail "LAN packets reached the TUN despite the throw route"

it_step "the rest goes through ESP: h -> r's 203.0.113.1"
esp_before=$(nft_counter l esp)
got=$(ping_from h 198.51.100.10 203.0.113.1 5)
it_log "h -> 203.0.113.1: ${got:-0}/5 replies"
[ "${got:-0}" -eq 5 ] || it_fail "h -> r through the tunnel: ${got:-0}/5"
esp_after=$(nft_counter l esp)
[ $((esp_after - esp_before)) -ge 10 ] || it_fail "expected ESP for the tunnelled pings ($esp_before -> $esp_after)"

it_step "drop shunt: h -> 203.0.113.65 and l -> 203.0.113.65 fail, counted for 'blocked'"
esp_before=$(nft_counter l esp)
clear_before=$(nft_counter l clear_icmp)
got=$(ping_from h 198.51.100.10 203.0.113.65 5)
it_log "h -> 203.0.113.65: ${got:-0}/5 replies"
[ "${got:-0}" -eq 0 ] || it_fail "the drop shunt let ${got} replies through"
got=$(ping_from l 198.51.100.1 203.0.113.65 3)
[ "${got:-0}" -eq 0 ] || it_fail "the drop shunt let ${got} of l's own pings through"
[ "$(nft_counter l esp)" -eq "$esp_before" ] || it_fail "dropped traffic left through ESP"
[ "$(nft_counter l clear_icmp)" -eq "$clear_before" ] || it_fail "dropped traffic left in the clear"
dropped=$(shunt_stat blocked packets_out)
it_log "stats: blocked dropped $dropped packet(s) from the TUN"
[ "$dropped" -eq 8 ] || it_fail "expected 8 drops counted for 'blocked', got $dropped"
cyg_ctl l stats | grep -q "blocked (drop): 8 dropped from the TUN" || it_fail "cygnetctl stats (text) lacks the shunt"
cyg_ctl l status | grep -q "lan: pass 198.51.100.0/24" || it_fail "cygnetctl status does not list the shunts"
ip netns exec "${IT_NS[l]}" nft list chain inet cygnet prerouting | grep -q 'counter name "shunt_0" drop' ||
  it_fail "no nftables drop rule for the drop shunt"

it_step "reload without the pass shunt: the throw route goes, the LAN is pulled into the tunnel"
cp "$config_l" "$config_l.with-shunts"
sed -i '/^\[shunts.lan\]/,$d' "$config_l"
cyg_ctl l reload >/dev/null || it_fail "reload without the pass shunt"
ip -n "${IT_NS[l]}" route show table "$TABLE" | grep -q '^throw' && it_fail "throw route left after the reload"
cyg_has_sa l || it_fail "the tunnel did not survive the reload"
got=$(ping_from l 198.51.100.1 198.51.100.10 3)
it_log "l -> h without the pass shunt: ${got:-0}/3 replies"
[ "${got:-0}" -eq 0 ] || it_fail "l reached h without the shunt: the test would prove nothing"
cp "$config_l.with-shunts" "$config_l"
cyg_ctl l reload >/dev/null || it_fail "reload with the shunts again"
got=$(ping_from l 198.51.100.1 198.51.100.10 3)
[ "${got:-0}" -eq 3 ] || it_fail "l -> h after restoring the shunts: ${got:-0}/3"
[ "$(shunt_stat blocked packets_out)" -eq 8 ] || it_fail "the reloads lost the drop shunt's count"

cyg_stop l || it_fail "cygnetd in l did not exit cleanly"
ip -n "${IT_NS[l]}" route show table "$TABLE" | grep -q . && it_fail "routes left in table $TABLE after SIGTERM"
cyg_stop r || it_fail "cygnetd in r did not exit cleanly"
exit 0
