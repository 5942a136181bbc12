#!/usr/bin/env bash
# interop.ops.monitor: `cygnetctl monitor` (text) and `cygnetctl monitor --json` started before the
# tunnel exists: they show ike-sa-established and child-sa-established (with peer and SPIs in
# JSON), keep running through a reload (which they report), show the deleted events after `down`,
# and exit 0 after "daemon-stopping" when cygnetd gets SIGTERM.
# Run as root under the namespace lock: flock /tmp/cygnet-netns.lock tests/interop/ops/monitor.sh
set -u
OPS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../strongswan/lib.sh
source "$OPS_DIR/../strongswan/lib.sh"
IT_DEADLINE=60  # read by it_init (the watchdog)
it_require ip "$IT_PYTHON"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
it_init
ns_create_pair

cyg_start r "$(cyg_config r)"
cfg_l=$(cyg_config l)
cyg_start l "$cfg_l"

it_step "monitors subscribe before anything happens"
text_log=${IT_DIR[l]}/monitor-text.out
json_log=${IT_DIR[l]}/monitor-json.out
it_spawn "${IT_NS[l]}" "$text_log" "$CYGNETCTL" --socket "$(cyg_socket l)" monitor
text_pid=$IT_LAST_PID
it_spawn "${IT_NS[l]}" "$json_log" "$CYGNETCTL" --socket "$(cyg_socket l)" monitor --json
json_pid=$IT_LAST_PID
# Both subscribed once the daemon counts two subscribers (stats has no such field: use the log).
it_wait_for 5 "two monitor clients" bash -c "[ \$(grep -c 'monitor client connected' '${IT_DIR[l]}/cygnetd.log') -ge 2 ]" ||
  it_fail "the monitor clients did not subscribe"

seen() { grep -q -- "$2" "$1"; }
wait_line() {  # FILE PATTERN WHAT
  it_wait_for 10 "$3" seen "$1" "$2" || { cat "$1" >&2; it_fail "no $3"; }
}

it_step "up: established events"
cyg_ctl l up peer >/dev/null || it_fail "cygnetctl up failed"
cyg_wait_sa l 15 || it_fail "no SA in l"
ts='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'
wait_line "$text_log" "^$ts ike-sa-established peer #[0-9]*: 192.0.2.1\[500\] - 192.0.2.2\[500\]" "text ike-sa-established"
wait_line "$text_log" "^$ts child-sa-established peer #[0-9]* net #[0-9]*: " "text child-sa-established"
wait_line "$json_log" '"type":"ike-sa-established"' "JSON ike-sa-established"
wait_line "$json_log" '"type":"child-sa-established"' "JSON child-sa-established"

it_step "reload: the monitors stay and report it"
cyg_ctl l reload >/dev/null || it_fail "reload failed"
wait_line "$text_log" "^$ts reloaded: 0 added, 0 removed, 0 changed, 1 unchanged" "text reloaded"
wait_line "$json_log" '"type":"reloaded"' "JSON reloaded"
it_alive "$text_pid" && it_alive "$json_pid" || it_fail "a monitor ended at the reload"

it_step "down: deleted events"
cyg_ctl l down peer >/dev/null || it_fail "cygnetctl down failed"
wait_line "$text_log" "^$ts child-sa-deleted peer #[0-9]* child #[0-9]*: net SPIs " "text child-sa-deleted"
wait_line "$text_log" "^$ts ike-sa-deleted peer #[0-9]*: closed by the operator" "text ike-sa-deleted with its reason"
wait_line "$json_log" '"type":"ike-sa-deleted"' "JSON ike-sa-deleted"

it_step "a negotiation failure, with its reason"
sed -i 's/^psk = .*/psk = "not-the-secret-r-knows-0123456789abcdef"/' "$cfg_l"
cyg_ctl l reload >/dev/null || it_fail "reload with another PSK failed"
wait_line "$text_log" "^$ts reloaded: 0 added, 0 removed, 1 changed, 0 unchanged" "text reloaded (changed)"
cyg_ctl l up peer >/dev/null || it_fail "cygnetctl up failed"
wait_line "$text_log" "^$ts authentication-failed peer" "text authentication-failed"
wait_line "$json_log" '"reason":"authentication_failed"' "JSON failure reason"

it_step "SIGTERM: daemon-stopping, then the monitors exit 0"
cyg_stop l || it_fail "cygnetd in l did not stop cleanly"
for pid in "$text_pid" "$json_pid"; do
  it_wait_for 5 "monitor $pid to exit" bash -c "! kill -0 $pid 2>/dev/null || [ \"\$(ps -o stat= -p $pid | cut -c1)\" = Z ]" ||
    it_fail "monitor $pid still runs after cygnetd stopped"
  wait "$pid"
  rc=$?
  [ "$rc" -eq 0 ] || { cat "$text_log" "$json_log" >&2; it_fail "monitor $pid exited with $rc"; }
done
tail -n1 "$text_log" | grep -q "^$ts daemon-stopping: cygnetd is exiting$" || it_fail "text log does not end with daemon-stopping"

it_step "the JSON lines"
"$IT_PYTHON" - "$json_log" <<'PY' || it_fail "JSON monitor lines are wrong"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
problems = []
def check(ok, what):
    if not ok: problems.append(what)
for e in lines:
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.get("time", "")), "time %r" % e.get("time"))
    check({"time", "type", "connection", "ike_sa", "child_sa", "detail"} <= set(e), "fields of %s" % e)
types = [e["type"] for e in lines]
for t in ("ike-sa-established", "child-sa-established", "reloaded", "child-sa-deleted", "ike-sa-deleted",
          "authentication-failed"):
    check(t in types, "no %s in %s" % (t, types))
check(types[-1] == "daemon-stopping", "last is %s" % types[-1])
ike = next((e for e in lines if e["type"] == "ike-sa-established"), {})
check(ike.get("connection") == "peer" and isinstance(ike.get("ike_sa"), int), "ike-sa-established %s" % ike)
check(ike.get("peer") == "192.0.2.2[500]" and ike.get("version") == 2, "peer/version of %s" % ike)
child = next((e for e in lines if e["type"] == "child-sa-established"), {})
check(isinstance(child.get("child_sa"), int) and child.get("child") == "net", "child-sa-established %s" % child)
check(re.fullmatch(r"[0-9a-f]{8}", child.get("spi", {}).get("in", "")) and
      re.fullmatch(r"[0-9a-f]{8}", child.get("spi", {}).get("out", "")), "spi of %s" % child)
deleted = next((e for e in lines if e["type"] == "ike-sa-deleted"), {})
check("operator" in deleted.get("detail", ""), "ike-sa-deleted without its reason: %s" % deleted)
for p in problems: print("monitor: " + p, file=sys.stderr)
print("monitor: %d JSON lines: %s" % (len(lines), " ".join(types)), file=sys.stderr)
sys.exit(1 if problems else 0)
PY
exit 0
