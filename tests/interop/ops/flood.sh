#!/usr/bin/env bash
# interop.ops.flood: spoofed IKE first messages against cygnetd while strongSwan connects (issue 12,
# hostile networks). Namespace l runs charon (the legitimate initiator) and a raw-socket sender
# (flood_sender.py) that sends ~3000 datagrams/s for 15 s: IKEv2 IKE_SA_INIT and IKEv1 Main Mode
# MM1, each from a random source in 203.0.113.0/24 with a fresh SPI/cookie. Cygnet in r accepts any
# peer address on an IKEv2 and an IKEv1 connection, so the flood reaches its half-open logic.
# Asserts: strongSwan establishes within 10 s during the flood (IKEv2 COOKIE round trip), traffic
# flows, half-open SAs stay within the caps, refusals are counted in `cygnetctl stats` and logged
# at a rate limit, the IKEv1 responder never retransmitted, cygnetd stays small. Logs cygnetd's RSS
# and CPU time before and after.
# Run as root under the namespace lock: flock /tmp/cygnet-netns.lock tests/interop/ops/flood.sh
set -u
OPS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../strongswan/lib.sh
source "$OPS_DIR/../strongswan/lib.sh"
IT_DEADLINE=75  # read by it_init (the watchdog)
FLOOD_RATE=${FLOOD_RATE:-3000}
FLOOD_SECONDS=${FLOOD_SECONDS:-15}
it_require ip "$IT_PYTHON" "$CHARON" "$SWANCTL"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
it_init
ns_create_pair
# The spoofed sources lie in r's protected subnet: no reverse-path filter may drop them.
ip netns exec "${IT_NS[r]}" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.out0.rp_filter=0

it_step "cygnetd in r answers any address (IKEv2 and IKEv1), strongSwan in l"
cfg_r=$(cyg_config r remote_addr= remote_id=192.0.2.1 log_level=info)
cat >>"$cfg_r" <<'TOML'

[connections.v1any]
ike_version = 1
local_addrs = ["192.0.2.2"]
remote_addrs = []
local_id = "192.0.2.2"
remote_id = "198.51.100.99"
auth = "psk"
psk = "another-interop-secret-0123456789abcdef"
ike_proposals = ["aes256-sha256-modp2048"]

[[connections.v1any.children]]
name = "v1net"
local_ts = ["203.0.113.0/25"]
remote_ts = ["198.51.100.128/25"]
esp_proposals = ["aes256-sha256"]
TOML
"$CYGNETCTL" check "$cfg_r" >"$IT_TMP/check.log" 2>&1 || { cat "$IT_TMP/check.log" >&2; it_fail "config rejected"; }
CYG_LOG_LEVEL=info cyg_start r "$cfg_r"
ss_start l
ss_load l "$(ss_swanctl_conf l)"

pid=${IT_PID[r]}
usage() {  # "RSS_KIB CPU_TICKS" of cygnetd
  local rss ticks
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  echo "$rss $ticks"
}
read -r rss_before cpu_before < <(usage)
hz=$(getconf CLK_TCK)
it_log "cygnetd before: RSS $rss_before KiB, CPU $((cpu_before * 1000 / hz)) ms"

it_step "flood: $FLOOD_RATE datagrams/s for $FLOOD_SECONDS s from 203.0.113.0/24"
timeout $((FLOOD_SECONDS + 10)) ip netns exec "${IT_NS[l]}" "$IT_PYTHON" "$OPS_DIR/flood_sender.py" \
  192.0.2.2 203.0.113 "$FLOOD_RATE" "$FLOOD_SECONDS" >"$IT_TMP/flood.out" 2>&1 &
flood_pid=$!
it_track_pid "$flood_pid"
sleep 3

it_step "strongSwan connects during the flood"
t0=$SECONDS
ss_initiate l net || it_fail "strongSwan did not establish during the flood"
took=$((SECONDS - t0))
it_log "established after ${took} s under the flood"
[ "$took" -le 10 ] || it_fail "establishing took ${took} s (> 10 s)"
cyg_wait_sa r 5 || it_fail "no Cygnet SA in r"
half_during=$(cyg_stat r ike half_open_ike_sas)
it_log "half-open IKE SAs during the flood: $half_during"
tr_ping l r 3 || it_fail "ping through the tunnel failed during the flood"

wait "$flood_pid" || it_fail "the flood sender failed: $(cat "$IT_TMP/flood.out")"
it_log "$(cat "$IT_TMP/flood.out")"
read -r rss_after cpu_after < <(usage)
it_log "cygnetd after: RSS $rss_after KiB (+$((rss_after - rss_before))), CPU $((cpu_after * 1000 / hz)) ms (+$(((cpu_after - cpu_before) * 1000 / hz)) ms for the flood)"

it_step "counted, bounded, logged at a rate limit"
cyg_stats r >"$IT_TMP/stats.json" || it_fail "stats"
"$IT_PYTHON" - "$IT_TMP/stats.json" <<'PY' || it_fail "counters out of bounds (see above)"
import json, sys
ike = json.load(open(sys.argv[1]))["ike"]
print("cookies_sent %(cookies_sent)d, half_open %(half_open_ike_sas)d, refused global %(refused_half_open_global_cap)d, "
      "evicted %(refused_unverified_evicted)d, "
      "per-source %(refused_half_open_per_source_cap)d, repeats %(refused_repeat_budget)d, retransmissions %(retransmissions)d, "
      "received %(datagrams_received)d, sent %(datagrams_sent)d" % ike, file=sys.stderr)
ok = ike["cookies_sent"] > 1000                       # IKEv2 past the threshold: cookies, no state
ok &= ike["refused_unverified_evicted"] > 0           # IKEv1 at its cap: the oldest unanswered MM2 makes room
ok &= ike["half_open_ike_sas"] <= 20 + 1000 + 1       # cookie threshold + IKEv1 global cap
ok &= ike["retransmissions"] == 0                     # no responder retransmits to spoofed sources
ok &= ike["datagrams_sent"] <= ike["datagrams_received"]  # at most one answer per datagram
sys.exit(0 if ok else 1)
PY
lines=$(grep -c "refused [0-9]* IKE request(s)" "${IT_DIR[r]}/cygnetd.log")
it_log "refusal log lines: $lines"
grep "refused [0-9]* IKE request(s)" "${IT_DIR[r]}/cygnetd.log" | head -4 >&2
[ "$lines" -ge 1 ] || it_fail "refusals were not logged"
[ "$lines" -le $((FLOOD_SECONDS / 10 + 3)) ] || it_fail "$lines refusal lines: not rate-limited"
[ $((rss_after - rss_before)) -lt 65536 ] || it_fail "cygnetd grew by more than 64 MiB"
tr_ping l r 3 || it_fail "ping through the tunnel failed after the flood"
exit 0
