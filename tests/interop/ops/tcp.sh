#!/usr/bin/env bash
# interop.ops.tcp: TCP encapsulation of IKE and ESP (RFC 9329), Cygnet <-> Cygnet (strongSwan
# 5.9.8 has no RFC 9329 support, docs/remote-access.md). r listens on TCP 4500 ([daemon] tcp_port);
# l initiates. nftables in both namespaces drops UDP 500/4500 and raw ESP while a part needs it:
# - tcp = "always", UDP blocked: the tunnel comes up, ping and a short iperf3 pass through it,
#   `cygnetctl status` shows the TCP transport on both sides, nothing left l over UDP or as raw ESP;
# - the TCP connection is killed (ss -K): the IKE SA stays, l reconnects, r takes the new
#   connection over for the same IKE SA, traffic flows again;
# - a client sending something other than "IKETCP" is closed and counted (bad prefix);
# - tcp = "fallback", UDP blocked: IKE_SA_INIT goes unanswered over UDP, the SA comes up over TCP;
# - tcp = "fallback", UDP open: the SA stays on UDP and no TCP connection is opened.
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=220
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
command -v iperf3 >/dev/null 2>&1 || it_skip "iperf3 not installed"
command -v nft >/dev/null 2>&1 || it_skip "nft not installed"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"

ns_create_pair

# NODE TCP_MODE [key=value ...]: both gateways accept TCP on 4500; TCP_MODE is l's `tcp`.
config_for() {
  local node=$1 mode=$2 f
  shift 2
  f=$(cyg_config "$node" "$@" log_level=info dpd_delay=10s)
  sed -i '/^\[daemon\]/a tcp_port = 4500' "$f"
  [ "$mode" = none ] || sed -i "/^encapsulation = /a tcp = \"$mode\"" "$f"
  echo "$f"
}

block_udp() {  # UDP 500/4500 and raw ESP dropped in both directions on both nodes (counted)
  local node
  for node in l r; do
    ip netns exec "${IT_NS[$node]}" nft -f - <<EOF || it_fail "nft on $node"
table inet cygnet_tcp_test {
  chain output {
    type filter hook output priority 0;
    udp dport { 500, 4500 } counter name udp_out drop
    meta l4proto esp counter name esp_out drop
  }
  chain input {
    type filter hook input priority 0;
    udp dport { 500, 4500 } drop
    meta l4proto esp drop
  }
  counter udp_out { }
  counter esp_out { }
}
EOF
  done
}
unblock_udp() {
  local node
  for node in l r; do ip netns exec "${IT_NS[$node]}" nft delete table inet cygnet_tcp_test 2>/dev/null || true; done
}
blocked_out() {  # NODE COUNTER: packets nftables dropped on the way out
  ip netns exec "${IT_NS[$1]}" nft -j list counter inet cygnet_tcp_test "$2" |
    it_json '[o["counter"]["packets"] for o in d["nftables"] if "counter" in o][0]'
}
# The transport of NODE's IKE SA(s): "tcp" or "udp" (status --json, added by the daemon).
transport_of() {
  cyg_status "$1" | it_json '",".join(sorted({sa.get("transport", "?") for c in d["connections"] for sa in c["ike_sas"]}))'
}
ike_sa_id() { cyg_status "$1" | it_json '[sa["id"] for c in d["connections"] for sa in c["ike_sas"]][0]'; }
tcp_stat() { cyg_stats "$1" | it_json "d['tcp']['$2']"; }

it_step "tcp = \"always\" with UDP and ESP blocked"
block_udp
cyg_start r "$(config_for r none)"
cyg_start l "$(config_for l always start_action=start)"
cyg_wait_sa l 20 || it_fail "no SA over TCP"
MIN_REPLIES=3 tr_ping l r 4 0.3 || it_fail "no ping through the TCP tunnel"
tr_iperf l r -t 3 || it_fail "iperf3 through the TCP tunnel failed"
tcp_mbit=$TR_MBIT
for node in l r; do
  [ "$(transport_of "$node")" = tcp ] || it_fail "$node: IKE SA transport is $(transport_of "$node"), not tcp"
done
cyg_ctl l status | tee "$IT_TMP/status-l.txt" >&2
grep -q "transport  *TCP (RFC 9329), connection" "$IT_TMP/status-l.txt" || it_fail "cygnetctl status does not show TCP"
cyg_ctl r stats | grep -A4 "TCP encapsulation" >&2 || it_fail "cygnetctl stats shows no TCP section"
[ "$(blocked_out l udp_out)" = 0 ] || it_fail "l sent $(blocked_out l udp_out) UDP packets to 500/4500"
[ "$(blocked_out l esp_out)" = 0 ] || it_fail "l sent $(blocked_out l esp_out) raw ESP packets"
[ "$(tcp_stat r frames_received)" -gt 1000 ] || it_fail "r received only $(tcp_stat r frames_received) TCP frames"

it_step "the TCP connection breaks: l reconnects, the IKE SA stays"
sa_before=$(ike_sa_id l)
if ip netns exec "${IT_NS[l]}" ss -K dst "${IT_OUTER[r]}" dport = 4500 >/dev/null 2>&1 &&
  it_wait_for 5 "l to notice" sh -c "grep -q 'TCP connection .* with ${IT_OUTER[r]}.*' '${IT_DIR[l]}/cygnetd.log'"; then
  it_wait_for 10 "l to reconnect" sh -c "[ \"\$(\"$CYGNETCTL\" --socket '$(cyg_socket l)' stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"tcp\"][\"connections_opened\"])')\" -ge 2 ]" ||
    it_fail "l did not reconnect"
  MIN_REPLIES=3 tr_ping l r 6 0.5 || it_fail "no ping after the reconnect"
  [ "$(ike_sa_id l)" = "$sa_before" ] || it_fail "the IKE SA changed ($sa_before -> $(ike_sa_id l))"
  grep -q "takes over the TCP peer" "${IT_DIR[r]}/cygnetd.log" || it_fail "r did not give the new connection the old peer"
else
  it_log "ss -K not available here (no SOCK_DESTROY): reconnect not tested"
fi

it_step "a connection without the IKETCP prefix is closed and counted"
ip netns exec "${IT_NS[l]}" /usr/bin/python3 - "${IT_OUTER[r]}" <<'EOF' || it_fail "could not connect to r's TCP port"
import socket, sys
s = socket.create_connection((sys.argv[1], 4500), timeout=3)
s.sendall(b"GET / HTTP/1.1\r\n\r\n")
s.settimeout(3)
try:
    assert s.recv(100) == b""  # closed by cygnetd, nothing answered
except ConnectionResetError:
    pass
EOF
[ "$(tcp_stat r bad_prefix)" = 1 ] || it_fail "bad prefix not counted ($(tcp_stat r bad_prefix))"
cyg_has_sa l || it_fail "the tunnel went down"
cyg_stop l || it_fail "l did not stop cleanly"
cyg_stop r || it_fail "r did not stop cleanly"

it_step "tcp = \"fallback\" with UDP blocked: over TCP after unanswered IKE_SA_INITs"
cyg_start r "$(config_for r none)"
cyg_start l "$(config_for l fallback start_action=start)"
cyg_wait_sa l 30 || it_fail "no SA after the fallback"
grep -q "unanswered over UDP after 2 retransmissions: retrying over TCP" "${IT_DIR[l]}/cygnetd.log" ||
  it_fail "no fallback line in l's log"
[ "$(blocked_out l udp_out)" -ge 3 ] || it_fail "l did not try UDP first ($(blocked_out l udp_out) packets)"
[ "$(transport_of l)" = tcp ] || it_fail "l: transport $(transport_of l), not tcp"
MIN_REPLIES=3 tr_ping l r 4 0.3 || it_fail "no ping after the fallback"
cyg_stop l || it_fail "l did not stop cleanly"
cyg_stop r || it_fail "r did not stop cleanly"

it_step "tcp = \"fallback\" with UDP open: stays on UDP"
unblock_udp
cyg_start r "$(config_for r none)"
cyg_start l "$(config_for l fallback start_action=start)"
cyg_wait_sa l 15 || it_fail "no SA over UDP"
MIN_REPLIES=3 tr_ping l r 4 0.3 || it_fail "no ping over UDP"
[ "$(transport_of l)" = udp ] || it_fail "l: transport $(transport_of l), not udp"
[ "$(tcp_stat l connections_opened)" = 0 ] || it_fail "l opened a TCP connection with UDP working"
cyg_stop l || it_fail "l did not stop cleanly"
cyg_stop r || it_fail "r did not stop cleanly"
it_log "RESULT TCP encapsulation: iperf3 l -> r ${tcp_mbit} Mbit/s over TCP"
it_log "PASS"
