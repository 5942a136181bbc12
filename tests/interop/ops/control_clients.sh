#!/usr/bin/env bash
# The control socket never blocks the event loop: while clients that send half a request line, or
# never read their answer, hold connections open, cygnetctl is answered at once and pings cross
# the tunnel; the stuck clients are dropped at their 2 s deadline, clients beyond the cap of 16 are
# refused, and both are counted (stats control_clients) and logged with the peer's pid and uid.
# Needs root, strongSwan (charon, swanctl) and built cygnetd/cygnetctl; exit 77 = skipped.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../strongswan/lib.sh"

it_require ip ping timeout "$CHARON" "$SWANCTL"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
IT_DEADLINE=60
it_init
it_step "control clients: hostile local clients; temp dir $IT_TMP"
ns_create_pair
ss_start r
ss_load r "$(ss_swanctl_conf r)"
cyg_start l "$(cyg_config l start_action=start)"
cyg_wait_sa l 15 || it_fail "no SA"
sock=$(cyg_socket l)
log=${IT_DIR[l]}/cygnetd.log

ms_now() { echo $(($(date +%s%N) / 1000000)); }

it_step "10 half-line clients and 4 that never read"
/usr/bin/python3 "$here/control_hog.py" "$sock" 10 4 5 >"$IT_TMP/hog1.out" 2>&1 &
hog=$!
it_track_pid "$hog"
it_wait_for 5 "hog connected" grep -q holding "$IT_TMP/hog1.out" || it_fail "hog did not connect"
start=$(ms_now)
cyg_ctl l status >/dev/null || it_fail "cygnetctl status failed while stuck clients were connected"
elapsed=$(($(ms_now) - start))
it_log "cygnetctl status answered in ${elapsed} ms with 14 stuck clients"
[ "$elapsed" -lt 1000 ] || it_fail "cygnetctl status took ${elapsed} ms: the loop waited for stuck clients"
tr_ping l r 10 0.1 || it_fail "pings lost while stuck clients were connected"
timed_out_at_least() { cyg_stats l | it_json "d['control_clients']['timed_out'] >= $1"; }
it_wait_for 5 "stuck clients dropped" timed_out_at_least 10 ||
  it_fail "half-line clients not dropped at their deadline: $(cyg_stats l | it_json 'd["control_clients"]')"
it_log "ok: stats control_clients $(cyg_stats l | it_json 'd["control_clients"]')"
grep -q "control client pid [0-9]* uid 0 dropped: no complete request" "$log" || it_fail "drop not logged with pid/uid"
grep -q "request status from pid [0-9]* uid 0" "$log" || it_fail "request not logged (debug) with pid/uid"
wait "$hog" 2>/dev/null

it_step "20 half-line clients: 4 beyond the cap of 16 are refused"
/usr/bin/python3 "$here/control_hog.py" "$sock" 20 0 3 >"$IT_TMP/hog2.out" 2>&1 &
hog=$!
it_track_pid "$hog"
it_wait_for 5 "hog connected" grep -q holding "$IT_TMP/hog2.out" || it_fail "hog did not connect"
tr_ping l r 5 0.1 || it_fail "pings lost while the control socket was full"
wait "$hog" 2>/dev/null
it_wait_for 5 "cygnetctl answers again" cyg_ctl l status --json || it_fail "cygnetctl not answered after the clients left"
refused=$(cyg_stats l | it_json 'd["control_clients"]["refused"]')
it_log "refused: $refused"
[ "${refused:-0}" -ge 4 ] || it_fail "expected at least 4 refused clients, stats say ${refused:-none}"
grep -q "control client pid [0-9]* uid 0 refused: 16 clients already being served" "$log" || it_fail "refusal not logged"
cyg_has_sa l || it_fail "SA lost"
cyg_stop l || it_fail "cygnetd did not exit 0"
it_log "PASS"
