#!/usr/bin/env bash
# interop.ops.mmsg: batched socket I/O (issue 13). Cygnet <-> Cygnet over a veth pair, iperf3 TCP
# from l to r through the tunnel:
# - ESP in UDP (encapsulation = "udp") with offloads on (the default): l sends the ESP packets of
#   each TUN super-packet as UDP GSO messages (stats: UDP GSO messages / datagrams) with sendmmsg,
#   r reads them with recvmmsg (and as GRO aggregates where the kernel hands them over whole);
#   both use fewer system calls than packets; the start-up log says which UDP offloads are on.
# - ESP in UDP with [daemon] offload = false: the same transfer works, no GSO and no GRO, still
#   batched by sendmmsg / recvmmsg.
# - plain ESP on the raw sockets: sendmmsg and recvmmsg there too.
# The throughput of each run is logged (the real comparison: docs/performance.md).
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/ops_lib.sh"

IT_DEADLINE=160
it_init
ops_require iperf3 cygnet

ns_create_pair
stat_of() { ops_daemon_stat "$@"; }
show() { cyg_ctl "$1" stats | grep -E "network packets|socket|UDP G" >&2; }

# Fewer system calls than packets on NODE, both ways: what recvmmsg / sendmmsg are for.
check_batched() {
  local node=$1 sent calls received reads
  sent=$(stat_of "$node" network_packets_sent)
  calls=$(stat_of "$node" socket_send_calls)
  received=$(stat_of "$node" network_packets_received)
  reads=$(stat_of "$node" socket_receive_calls)
  it_log "$node: $sent packets sent in $calls send calls, $received received in $reads receive calls"
  [ "$calls" -ge 1 ] && [ "$reads" -ge 1 ] || it_fail "$node: no batched socket calls counted"
  [ "$2" = send ] && { [ "$calls" -lt "$sent" ] || it_fail "$node: not fewer send calls than packets"; }
  [ "$2" = receive ] && { [ "$reads" -lt "$received" ] || it_fail "$node: not fewer receive calls than packets"; }
  [ "$(stat_of "$node" send_errors)" = 0 ] || it_fail "$node: send errors counted"
}

it_step "ESP in UDP, offloads on: UDP GSO and GRO"
ops_pair_start udp true
grep -q "UDP offloads: GSO" "${IT_DIR[l]}/cygnetd.log" || it_skip "the kernel has no UDP GSO: $(grep -o 'UDP offloads: .*' "${IT_DIR[l]}/cygnetd.log")"
it_log "l: $(grep -o 'UDP offloads: .*' "${IT_DIR[l]}/cygnetd.log" | head -n 1)"
tr_iperf l r -t 3 || it_fail "TCP l -> r through ESP in UDP failed"
gso=$TR_MBIT
show l
show r
[ "$(stat_of l udp_gso_messages)" -ge 1 ] || it_fail "l sent no UDP GSO message"
[ "$(stat_of l udp_gso_datagrams)" -gt "$(stat_of l udp_gso_messages)" ] ||
  it_fail "l's GSO messages did not carry several datagrams each"
check_batched l send
check_batched r receive
it_log "r: $(stat_of r udp_gro_aggregates) GRO aggregates holding $(stat_of r udp_gro_datagrams) datagrams"
[ "$(stat_of r socket_truncated_drops)" = 0 ] || it_fail "r dropped truncated datagrams"
ops_pair_stop

it_step "ESP in UDP, offload = false: no GSO / GRO, still sendmmsg / recvmmsg"
ops_pair_start udp false
grep -q "UDP offloads: none (\[daemon\] offload = false)" "${IT_DIR[l]}/cygnetd.log" ||
  it_fail "l's log does not say the UDP offloads are off"
tr_iperf l r -t 3 || it_fail "TCP l -> r through ESP in UDP without offloads failed"
nogso=$TR_MBIT
show l
for node in l r; do
  for counter in udp_gso_messages udp_gro_aggregates; do
    [ "$(stat_of $node $counter)" = 0 ] || it_fail "$node: $counter is not 0 with offload = false"
  done
done
check_batched r receive
[ "$(stat_of r network_packets_received)" -ge 100 ] || it_fail "r received almost nothing"
ops_pair_stop

it_step "plain ESP on the raw sockets: sendmmsg / recvmmsg"
ops_pair_start auto true
tr_iperf l r -t 3 || it_fail "TCP l -> r through raw ESP failed"
raw=$TR_MBIT
show l
[ "$(stat_of l udp_gso_messages)" = 0 ] || it_fail "l used UDP GSO for raw ESP"
check_batched l send
check_batched r receive
ops_pair_stop
it_log "RESULT TCP l -> r: ESP in UDP ${gso} Mbit/s with GSO/GRO, ${nogso} Mbit/s without; raw ESP ${raw} Mbit/s"
it_log "PASS"
