#!/usr/bin/env bash
# cygnetd as systemd runs it, without systemd: a receiver plays the notify socket and the journal
# socket; cygnetd in namespace l (initiator) gets NOTIFY_SOCKET, WATCHDOG_USEC and a stderr that
# JOURNAL_STREAM names, and a private /run whose /run/systemd/journal/socket is the receiver's.
# cygnetd in r (responder) runs as before: plain stderr. Checked:
#   * READY=1 with a STATUS=, WATCHDOG=1 about every half WATCHDOG_USEC from the event loop,
#     STATUS "1 IKE SA, 1 CHILD SA" once the tunnel is up, RELOADING=1 (with MONOTONIC_USEC) then
#     READY=1 on `cygnetctl reload`, STOPPING=1 on SIGTERM;
#   * journal entries with SYSLOG_IDENTIFIER=cygnetd, PRIORITY, CYGNET_SUBSYSTEM, and for the
#     connection's events CYGNET_CONNECTION, CYGNET_PEER and CYGNET_SPI; nothing left on stderr;
#   * r, outside systemd, still logs text to stderr and gets no notify traffic.
#   service.sh BUILD_DIR        exit 0 pass, 1 fail, 77 skipped
set -o pipefail  # not -e/-u: lib.sh's cleanup trap relies on neither
build_dir=$(realpath "${1:-$(dirname "$0")/../../../build}")
CYGNETD=$build_dir/src/daemon/cygnetd
CYGNETCTL=$build_dir/src/cli/cygnetctl
IT_DEADLINE=90
source "$(dirname "$0")/../strongswan/lib.sh"
it_require ip unshare mount "$IT_PYTHON"
cyg_built || it_skip "cygnetd/cygnetctl not built in $build_dir"
it_init
ns_create_pair

dir=$IT_TMP/systemd
mkdir -p "$dir/journal"
notify_log=$dir/notify.jsonl journal_log=$dir/journal.jsonl
touch "$notify_log" "$journal_log"
it_spawn "${IT_NS[l]}" "$dir/receiver.log" "$IT_PYTHON" "$(dirname "$0")/service_receiver.py" \
  "$dir/notify" "$notify_log" "$dir/journal/socket" "$journal_log"
it_wait_for 5 "receiver sockets" test -S "$dir/journal/socket" || it_fail "receiver did not start"

it_step "cygnetd in r (responder, not under systemd)"
cyg_start r "$(cyg_config r log_level=info)"

it_step "cygnetd in l as a Type=notify service with a 2 s watchdog and the journal on stderr"
config_l=$(cyg_config l start_action=start log_level=info)
log_l=${IT_DIR[l]}/cygnetd.log
: >"$log_l"
journal_stream=$(stat -c '%d:%i' "$log_l")
IT_DIR_L=${IT_DIR[l]}
it_spawn "${IT_NS[l]}" "$log_l" unshare -m --propagation private sh -c '
  mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal &&
  mount --bind "$1" /run/systemd/journal &&
  exec env NOTIFY_SOCKET="$2" WATCHDOG_USEC=2000000 JOURNAL_STREAM="$3" "$4" --config "$5"' \
  sh "$dir/journal" "$dir/notify" "$journal_stream" "$CYGNETD" "$config_l"
IT_PID[l]=$IT_LAST_PID
IT_KIND[l]=cygnet

notified() { grep -qF "$1" "$notify_log"; }
journal_has() { "$IT_PYTHON" -c '
import json, sys
want = dict(kv.split("=", 1) for kv in sys.argv[2:])
for line in open(sys.argv[1]):
    entry = json.loads(line)
    if all((entry.get(k) == v) if v != "*" else (k in entry) for k, v in want.items()):
        sys.exit(0)
sys.exit(1)' "$journal_log" "$@"; }

it_wait_for 10 "READY=1" notified '"READY=1\nSTATUS=' || it_fail "no READY=1 from cygnetd"
it_log "notify: $(head -n 1 "$notify_log")"
it_wait_for 15 "tunnel" cyg_has_sa l || it_fail "tunnel l <-> r not established"
it_wait_for 8 "STATUS with the SAs" notified '"STATUS=1 IKE SA, 1 CHILD SA"' || it_fail "no STATUS=1 IKE SA, 1 CHILD SA"

it_step "watchdog keep-alives (WATCHDOG_USEC=2 s: one about every second)"
before=$(grep -c '"WATCHDOG=1"' "$notify_log" || true)
sleep 4
after=$(grep -c '"WATCHDOG=1"' "$notify_log" || true)
it_log "WATCHDOG=1 in 4 s: $((after - before))"
[ $((after - before)) -ge 3 ] && [ $((after - before)) -le 6 ] || it_fail "expected 3-6 keep-alives in 4 s, got $((after - before))"
# A daemon that does not run sends none (SIGSTOP): systemd would restart it after WatchdogSec.
kill -STOP "${IT_PID[l]}"
before=$(grep -c '"WATCHDOG=1"' "$notify_log" || true)
sleep 2.5
after=$(grep -c '"WATCHDOG=1"' "$notify_log" || true)
kill -CONT "${IT_PID[l]}"
[ "$after" -eq "$before" ] || it_fail "keep-alives while the daemon was stopped"

it_step "reload: RELOADING=1 then READY=1"
lines_before=$(wc -l <"$notify_log")
cyg_ctl l reload >/dev/null || it_fail "cygnetctl reload"
it_wait_for 5 "READY after reload" sh -c "tail -n +$((lines_before + 1)) '$notify_log' | grep -q 'READY=1'" || it_fail "no READY=1 after reload"
tail -n +"$((lines_before + 1))" "$notify_log" | grep -v WATCHDOG | head -n 2 >"$dir/reload.jsonl"
grep -q 'RELOADING=1\\nMONOTONIC_USEC=[0-9]' <(head -n 1 "$dir/reload.jsonl") || { cat "$dir/reload.jsonl"; it_fail "reload did not start with RELOADING=1 and MONOTONIC_USEC"; }
grep -q 'READY=1' <(sed -n 2p "$dir/reload.jsonl") || it_fail "RELOADING=1 not followed by READY=1"

it_step "journal entries"
it_log "journal: $(wc -l <"$journal_log") entries, e.g. $(grep -m1 CYGNET_SPI "$journal_log" || true)"
journal_has SYSLOG_IDENTIFIER=cygnetd CYGNET_SUBSYSTEM=daemon PRIORITY=6 || it_fail "no daemon entry with PRIORITY=6"
journal_has CYGNET_SUBSYSTEM=ike CYGNET_CONNECTION=peer MESSAGE='*' || it_fail "no ike entry with CYGNET_CONNECTION=peer"
journal_has CYGNET_SUBSYSTEM=dataplane CYGNET_CONNECTION=peer CYGNET_PEER=192.0.2.2 CYGNET_SPI='*' ||
  it_fail "no CHILD SA entry with CYGNET_CONNECTION, CYGNET_PEER and CYGNET_SPI"
"$IT_PYTHON" -c '
import json, re, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if "CYGNET_SPI" in e and not re.fullmatch("[0-9a-f]{8}", e["CYGNET_SPI"]):
        sys.exit("bad CYGNET_SPI " + e["CYGNET_SPI"])' "$journal_log" || it_fail "malformed CYGNET_SPI"
! grep -q "unparsable" "$journal_log" || it_fail "an unparsable journal datagram"
! grep -q '"CODE_FILE"' "$journal_log" || it_fail "entries carry the sink's own CODE_FILE"

it_step "stop: STOPPING=1, exit 0"
cyg_stop l || it_fail "cygnetd in l did not exit cleanly"
notified '"STOPPING=1' || it_fail "no STOPPING=1"
[ ! -s "$log_l" ] || { cat "$log_l"; it_fail "cygnetd wrote to stderr although it was the journal"; }
grep -q "cygnetd ready" "${IT_DIR[r]}/cygnetd.log" || it_fail "r (not under systemd) did not log to stderr"
it_log "r's stderr: $(grep -m1 'cygnetd ready' "${IT_DIR[r]}/cygnetd.log")"
