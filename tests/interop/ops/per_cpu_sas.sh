#!/usr/bin/env bash
# interop.ops.per_cpu_sas: RFC 9611 per-resource CHILD SAs (issue 13), over a veth pair, raw ESP.
# 1. Cygnet <-> Cygnet, both with [daemon] workers = 2 and per_cpu_sas = true on the child:
#    - `cygnetctl status` lists 3 CHILD SA pairs of the child on each side: the fallback and one
#      per worker (resource 0 and 1), all with the same selectors;
#    - iperf3 -P 4 l -> r: every stream carries data, both per-worker SAs of l carried outbound
#      traffic, both workers of each gateway carried traffic, no replay/auth/sequence drops.
# 2. Cygnet (workers = 2, per_cpu_sas = true) <-> strongSwan 5.9.8 (no RFC 9611): the child comes
#    up as one SA pair, and carries pings both ways.
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=220
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
command -v iperf3 >/dev/null 2>&1 || it_skip "iperf3 not installed"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"

ns_create_pair

config_for() {  # NODE [key=value ...]: workers = 2, per-resource SAs on the child
  local f
  f=$(cyg_config "$@" log_level=info replay_window=4096)
  sed -i '/^\[daemon\]/a workers = 2' "$f"
  echo "per_cpu_sas = true" >>"$f"  # the child's table is the last one of the file
  echo "$f"
}

# "fallback,0,1": the resources of NODE's CHILD SAs (status JSON), sorted.
resources_of() {
  cyg_status "$1" | it_json '",".join(sorted(str(ch.get("resource", "-")) for c in d["connections"] for sa in c["ike_sas"] for ch in sa["child_sas"]))'
}

it_step "Cygnet <-> Cygnet, workers = 2, per_cpu_sas = true"
cyg_start r "$(config_for r)"
cyg_start l "$(config_for l start_action=start)"
cyg_wait_sa l 15 || it_fail "no SA on l"
it_wait_for 15 "3 CHILD SAs on l" sh -c "[ \"\$(\"$CYGNETCTL\" --socket '$(cyg_socket l)' status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(len(sa[\"child_sas\"]) for c in d[\"connections\"] for sa in c[\"ike_sas\"]))')\" = 3 ]" ||
  it_fail "l does not have 3 CHILD SAs: $(resources_of l)"
for node in l r; do
  got=$(resources_of "$node")
  it_log "$node CHILD SAs (resource): $got"
  [ "$got" = "0,1,fallback" ] || it_fail "$node: CHILD SAs are not the fallback + one per worker: $got"
done
cyg_ctl l status >&2
MIN_REPLIES=2 tr_ping l r 4 0.3 || it_fail "no traffic through the tunnel"

it_step "iperf3 -P 4 l -> r"
tr_iperf l r -P 4 -t 4 || it_fail "TCP -P 4 l -> r failed"
json=$(ls -td "$IT_TMP"/iperf.*/ | head -n 1)client.json
streams=$(it_json 'sum(1 for s in d["end"]["streams"] if s["receiver"]["bytes"] > 0)' <"$json")
[ "$streams" = 4 ] || it_fail "only $streams of 4 streams carried data"
forward=$TR_MBIT
cyg_ctl l status >&2
cyg_ctl l stats >&2
per_sa=$(cyg_status l | it_json '" ".join("%s:out=%d" % (ch.get("resource"), ch["outbound"]["packets"]) for c in d["connections"] for sa in c["ike_sas"] for ch in sa["child_sas"])')
it_log "l outbound packets per CHILD SA: $per_sa"
# Worker i sends on its own SA: SA i's outbound packets are (within 1 %) what worker i protected.
# How many flows each worker gets is the kernel's TUN queue choice (4 flows may all hash to one
# queue), so only "both SAs carried some traffic" is required of the split.
per_worker=$(cyg_stats l | it_json '" ".join("%d:%d" % (w["worker"], w["protected_out"]) for w in d["workers"])')
it_log "l protected per worker: $per_worker"
python3 - "$(cyg_status l)" "$(cyg_stats l)" <<'PY' || it_fail "l's per-worker SAs do not match its workers ($per_sa / $per_worker)"
import json, sys
status, stats = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sa = {ch["resource"]: ch["outbound"]["packets"] for c in status["connections"] for s in c["ike_sas"]
      for ch in s["child_sas"] if isinstance(ch.get("resource"), int)}
out = {w["worker"]: w["protected_out"] for w in stats["workers"]}
ok = sorted(sa) == [0, 1] and all(sa[i] > 0 for i in sa) and sum(sa.values()) > 1000
ok = ok and all(abs(sa[i] - out[i]) <= 10 + out[i] // 100 for i in sa)
sys.exit(0 if ok else 1)
PY
for node in l r; do
  summary=$(cyg_stats "$node" | it_json '" ".join("%d:read=%d,out=%d,in=%d" % (w["worker"], w["tun_packets_read"], w["protected_out"], w["decapsulated_in"]) for w in d["workers"])')
  it_log "$node workers: $summary"
  cyg_stats "$node" | it_json 'len(d["workers"]) == 2 and all(w["protected_out"] + w["decapsulated_in"] > 0 for w in d["workers"])' ||
    it_fail "$node: not both workers carried traffic ($summary)"
  bad=$(cyg_stats "$node" | it_json '", ".join(f"{k}={v}" for k, v in d["data_plane"]["drops"].items() if v and k in ("replay", "icv_failure", "sequence_exhausted", "no_worker_slot"))')
  [ -z "$bad" ] || it_fail "$node: data plane drops: $bad"
  it_log "$node too_old: $(cyg_stats "$node" | it_json 'd["data_plane"]["drops"]["too_old"]')"
done
cyg_stop l || it_fail "l did not stop cleanly"
cyg_stop r || it_fail "r did not stop cleanly"

it_step "Cygnet (per_cpu_sas) <-> strongSwan (no RFC 9611): one SA pair"
if [ -x "$CHARON" ]; then
  ss_start r
  ss_load r "$(ss_swanctl_conf r)"
  cyg_start l "$(config_for l start_action=start encapsulation=udp)"
  cyg_wait_sa l 15 || it_fail "no SA between Cygnet and strongSwan"
  ss_wait_sa r 15 || it_fail "strongSwan has no SA"
  sleep 2  # time for any (wrong) additional CHILD SA exchange
  got=$(resources_of l)
  it_log "l CHILD SAs against strongSwan (resource): $got"
  [ "$got" = "-" ] || it_fail "against strongSwan, l has other than one plain CHILD SA: $got"
  MIN_REPLIES=2 tr_ping l r 4 0.3 || it_fail "ping l -> r through strongSwan failed"
  MIN_REPLIES=2 tr_ping r l 4 0.3 || it_fail "ping r -> l through strongSwan failed"
  cyg_stop l || it_fail "l did not stop cleanly"
else
  it_log "strongSwan (charon) not installed: the interop half is skipped"
fi
it_log "RESULT TCP -P 4 with per-resource SAs, workers = 2: l -> r ${forward} Mbit/s"
it_log "PASS"
