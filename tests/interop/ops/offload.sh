#!/usr/bin/env bash
# interop.ops.offload: TUN offloads (issue 13). Cygnet <-> Cygnet over a veth pair, raw ESP,
# iperf3 TCP through the tunnel from l to r:
# - offloads on (the default): l's TUN read hands over TCP super-packets that l splits before ESP
#   (stats: TUN super-packets read / segments split off), and r joins the decrypted segments into
#   coalesced TUN writes (TUN coalesced writes / segments coalesced); the start-up log says which
#   offloads the kernel granted.
# - [daemon] offload = false on both: the same transfer works, one packet per read and write, and
#   every offload counter stays zero.
# The throughput of each run is logged (the real comparison is bench/tunnel's, docs/performance.md).
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/ops_lib.sh"

IT_DEADLINE=110
it_init
ops_require iperf3 cygnet

ns_create_pair
daemon_stat() { ops_daemon_stat "$@"; }

it_step "offloads on"
ops_pair_start auto true
grep -q "offloads: .*TSO" "${IT_DIR[l]}/cygnetd.log" || it_skip "the kernel granted no TSO on the TUN device: $(grep -o 'offloads: .*' "${IT_DIR[l]}/cygnetd.log")"
it_log "l: $(grep -o 'offloads: .*' "${IT_DIR[l]}/cygnetd.log" | head -n 1)"
tr_iperf l r -t 3 || it_fail "TCP l -> r with offloads failed"
with=$TR_MBIT
cyg_ctl l stats | grep -E "TUN" >&2
cyg_ctl r stats | grep -E "TUN" >&2
[ "$(daemon_stat l tun_super_packets_read)" -ge 1 ] || it_fail "l read no super-packet from its TUN"
[ "$(daemon_stat l tun_segments_from_super_packets)" -gt "$(daemon_stat l tun_super_packets_read)" ] ||
  it_fail "l's super-packets were not split into several segments"
[ "$(daemon_stat r tun_coalesced_writes)" -ge 1 ] || it_fail "r made no coalesced TUN write"
[ "$(daemon_stat r tun_segments_coalesced)" -gt "$(daemon_stat r tun_coalesced_writes)" ] ||
  it_fail "r's coalesced writes did not carry several segments"
[ "$(daemon_stat l tun_offload_errors)" = 0 ] || it_fail "l counted offload errors"
[ "$(daemon_stat r tun_offload_errors)" = 0 ] || it_fail "r counted offload errors"
# The reverse direction too (r splits, l joins).
tr_iperf l r -t 2 -R || it_fail "TCP r -> l with offloads failed"
[ "$(daemon_stat l tun_coalesced_writes)" -ge 1 ] || it_fail "l made no coalesced TUN write"
ops_pair_stop

it_step "offload = false: the fallback path"
ops_pair_start auto false
grep -q "offloads: none (\[daemon\] offload = false)" "${IT_DIR[l]}/cygnetd.log" ||
  it_fail "l's log does not say the offloads are off"
tr_iperf l r -t 3 || it_fail "TCP l -> r without offloads failed"
without=$TR_MBIT
for node in l r; do
  for counter in tun_super_packets_read tun_coalesced_writes tun_offload_errors; do
    [ "$(daemon_stat $node $counter)" = 0 ] || it_fail "$node: $counter is not 0 with offload = false"
  done
done
[ "$(daemon_stat r tun_packets_written)" -ge 100 ] || it_fail "r wrote almost nothing to its TUN"
it_log "RESULT TCP l -> r: ${with} Mbit/s with offloads, ${without} Mbit/s without"
it_log "PASS"
