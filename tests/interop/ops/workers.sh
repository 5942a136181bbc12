#!/usr/bin/env bash
# interop.ops.workers: data-plane workers (issue 13). Cygnet <-> Cygnet over a veth pair, raw ESP,
# both gateways with [daemon] workers = 2 (a multi-queue TUN device, one queue per worker):
# - iperf3 -P 4 TCP l -> r and r -> l: every stream completes and carries data;
# - `cygnetctl stats` shows per-worker counters, and both workers of each gateway carried traffic
#   (the kernel spreads the 4 flows over the 2 TUN queues; the ESP of each SA goes to the worker
#   owning its SPI);
# - no replay, sequence or authentication drops anywhere (the workers share the SAs), and at most
#   0.5 % too_old (packets of one SA sent late by a preempted worker, see check_no_sa_drops);
# - a CHILD SA rekey during traffic (life_bytes reached by the workers' packets): the transfer
#   goes on over the new SA, still without drops.
# Throughput figures are logged (docs/performance.md has the measured ones).
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=220
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
command -v iperf3 >/dev/null 2>&1 || it_skip "iperf3 not installed"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"

ns_create_pair

# With workers = 2, one SA's packets leave from two threads, so they may arrive somewhat out of
# order (docs/architecture.md, "Workers"): a replay window of 4096 (strongSwan's default is 32).
config_for() {  # NODE [key=value ...]: with [daemon] workers = 2
  local f
  f=$(cyg_config "$@" start_action=trap log_level=info replay_window=4096)
  sed -i '/^\[daemon\]/a workers = 2' "$f"
  echo "$f"
}
stats_of() { cyg_stats "$1"; }

# iperf3 -P 4 from CLIENT to SERVER (extra iperf3 arguments after); every stream must carry data.
four_streams() {
  local client=$1 server=$2
  shift 2
  tr_iperf "$client" "$server" -P 4 "$@" || return 1
  local json
  json=$(ls -td "$IT_TMP"/iperf.*/ | head -n 1)client.json
  local streams
  streams=$(it_json 'sum(1 for s in d["end"]["streams"] if s["receiver"]["bytes"] > 0)' <"$json") || return 1
  [ "$streams" = 4 ] || { it_log "only $streams of 4 streams carried data"; return 1; }
}

# No drop that would mean a broken SA share: replay (a number accepted twice would be one; a
# duplicate is refused), authentication, sequence exhaustion, no worker slot. too_old is allowed
# up to 0.5 % of the packets decrypted: two workers take sequence numbers of one SA in parallel,
# and a worker the scheduler preempts between encrypting and sending (this 2-core machine runs
# iperf3 and both gateways) sends its packets late, possibly behind the peer's window
# (docs/architecture.md, "Workers").
check_no_sa_drops() {
  local node=$1 bad
  bad=$(stats_of "$node" | it_json '", ".join(f"{k}={v}" for k, v in d["data_plane"]["drops"].items()
        if v and k in ("replay", "icv_failure", "sequence_exhausted", "no_worker_slot"))') ||
    it_fail "$node: no stats"
  [ -z "$bad" ] || it_fail "$node: data plane drops: $bad"
  local late
  late=$(stats_of "$node" | it_json '"%d of %d" % (d["data_plane"]["drops"]["too_old"], d["data_plane"]["inbound"]["packets"])')
  it_log "$node: too_old drops: $late"
  stats_of "$node" | it_json 'd["data_plane"]["drops"]["too_old"] * 200 <= d["data_plane"]["inbound"]["packets"]' ||
    it_fail "$node: too many packets arrived behind the replay window ($late)"
}

# Both workers of NODE read from their TUN queue and encrypted (checked in the JSON of stats).
check_both_workers() {
  local node=$1 summary
  summary=$(stats_of "$node" | it_json '" ".join("%d:read=%d,out=%d,in=%d" % (w["worker"], w["tun_packets_read"], w["protected_out"], w["decapsulated_in"]) for w in d["workers"])') ||
    it_fail "$node: stats have no workers"
  it_log "$node workers: $summary"
  # Both encrypted flows read from their own TUN queue; decryption is by SPI, and with one SA per
  # direction one worker decrypts everything (the sum checked: nothing lost on the way).
  stats_of "$node" | it_json 'len(d["workers"]) == 2 and all(w["tun_packets_read"] > 100 and w["protected_out"] > 100 for w in d["workers"]) and sum(w["decapsulated_in"] for w in d["workers"]) > 1000' ||
    it_fail "$node: not every worker carried traffic ($summary)"
}

it_step "workers = 2 on both gateways"
cyg_start r "$(config_for r)"
cyg_start l "$(config_for l)"
grep -q "2 data-plane workers" "${IT_DIR[l]}/cygnetd.log" || it_fail "l did not start 2 workers"
MIN_REPLIES=2 tr_ping l r 4 0.3 || it_fail "no tunnel"
cyg_wait_sa l 10 || it_fail "no SA on l"

it_step "iperf3 -P 4, l -> r and r -> l"
four_streams l r -t 4 || it_fail "TCP -P 4 l -> r failed"
forward=$TR_MBIT
four_streams l r -t 4 -R || it_fail "TCP -P 4 r -> l failed"
reverse=$TR_MBIT
cyg_ctl l stats >&2
for node in l r; do
  check_both_workers "$node"
  check_no_sa_drops "$node"
done

it_step "a CHILD SA rekey during traffic"
rekeyed_before=$(cyg_stat l ike child_sas_rekeyed)
cyg_stop l || it_fail "l did not stop cleanly"
cyg_stop r || it_fail "r did not stop cleanly"
cyg_start r "$(config_for r)"
# l's CHILD SA reaches its soft byte limit within the first seconds of the transfer.
cyg_start l "$(config_for l life_bytes=150000000)"
MIN_REPLIES=2 tr_ping l r 4 0.3 || it_fail "no tunnel after restart"
cyg_wait_sa l 10 || it_fail "no SA on l after restart"
four_streams l r -t 6 || it_fail "TCP -P 4 l -> r across the rekey failed"
rekey_mbit=$TR_MBIT
it_wait_for 10 "a CHILD SA rekey on l" sh -c "[ \"\$(\"$CYGNETCTL\" --socket '$(cyg_socket l)' stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"ike\"][\"child_sas_rekeyed\"])')\" -ge 1 ]" ||
  it_fail "no CHILD SA rekey on l (life_bytes) during the transfer"
four_streams l r -t 2 || it_fail "TCP l -> r after the rekey failed"
for node in l r; do check_no_sa_drops "$node"; done
cyg_stop l || it_fail "l did not stop cleanly"
cyg_stop r || it_fail "r did not stop cleanly"
it_log "RESULT TCP -P 4 with workers = 2: l -> r ${forward} Mbit/s, r -> l ${reverse} Mbit/s, across a rekey ${rekey_mbit} Mbit/s (rekeys before: ${rekeyed_before})"
it_log "PASS"
