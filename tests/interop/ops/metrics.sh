#!/usr/bin/env bash
# interop.ops.metrics: two Cygnet gateways with [daemon] metrics on (l on 127.0.0.1:9750, r on
# [::1]:9751), a ping through the tunnel, then each endpoint scraped with curl and parsed with
# prometheus_client's text-format parser (metrics_check.py): CHILD SA bytes/packets equal to
# `cygnetctl stats --json`, the IKE SA established, the handshake histogram, exchanges by role.
# Also: 404 for another path, 405 for POST, 400 for garbage, a silent client that does not stall a
# scrape, and — r restarted without the key — metrics off by default (port closed).
# Run as root under the namespace lock: flock /tmp/cygnet-netns.lock tests/interop/ops/metrics.sh
set -u
OPS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../strongswan/lib.sh
source "$OPS_DIR/../strongswan/lib.sh"
IT_DEADLINE=60  # read by it_init (the watchdog)
it_require ip curl "$IT_PYTHON"
"$IT_PYTHON" -c 'import prometheus_client' 2>/dev/null || it_skip "python3-prometheus-client is not installed"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
it_init
ns_create_pair

with_metrics() {  # CONFIG ENDPOINT: adds [daemon] metrics
  sed -i "/^log_level = /a metrics = \"$2\"" "$1"
}
# ns_curl NODE ARGS...: curl inside NODE's namespace
ns_curl() {
  local node=$1
  shift
  timeout 10 ip netns exec "${IT_NS[$node]}" curl -gsS --max-time 5 "$@"
}

it_step "two gateways with metrics on"
cfg_l=$(cyg_config l encapsulation=udp)
cfg_r=$(cyg_config r encapsulation=udp)
with_metrics "$cfg_l" "127.0.0.1:9750"
with_metrics "$cfg_r" "[::1]:9751"
cyg_start r "$cfg_r"
cyg_start l "$cfg_l"
url_l="http://127.0.0.1:9750/metrics"
url_r="http://[::1]:9751/metrics"

it_step "tunnel up, traffic through it"
cyg_ctl l up peer >/dev/null || it_fail "cygnetctl up failed"
cyg_wait_sa l 15 || it_fail "no SA in l"
cyg_wait_sa r 15 || it_fail "no SA in r"
tr_ping l r 5 || it_fail "ping through the tunnel failed"

it_step "scrape and compare with cygnetctl stats"
for node in l r; do
  url=$url_l role=initiator
  [ "$node" = r ] && url=$url_r role=responder
  cyg_stats "$node" >"$IT_TMP/stats-$node.json" || it_fail "stats $node"
  ns_curl "$node" -D "$IT_TMP/headers-$node" -o "$IT_TMP/metrics-$node.txt" "$url" || it_fail "scrape of $node failed"
  grep -qi '^Content-Type: text/plain; version=0.0.4' "$IT_TMP/headers-$node" ||
    it_fail "$node: wrong Content-Type: $(grep -i content-type "$IT_TMP/headers-$node")"
  grep -q '^HTTP/1.0 200 OK' "$IT_TMP/headers-$node" || it_fail "$node: not 200: $(head -1 "$IT_TMP/headers-$node")"
  "$IT_PYTHON" "$OPS_DIR/metrics_check.py" "$IT_TMP/metrics-$node.txt" "$IT_TMP/stats-$node.json" "$role" ||
    it_fail "$node: metrics do not match (see above)"
  it_log "$node: $(grep -c '^cygnet_' "$IT_TMP/metrics-$node.txt") samples checked against stats"
done

it_step "other paths, methods and garbage"
code=$(ns_curl l -o /dev/null -w '%{http_code}' http://127.0.0.1:9750/nope)
[ "$code" = 404 ] || it_fail "GET /nope answered $code, expected 404"
code=$(ns_curl l -o /dev/null -w '%{http_code}' -X POST --data x "$url_l")
[ "$code" = 405 ] || it_fail "POST /metrics answered $code, expected 405"
answer=$(timeout 10 ip netns exec "${IT_NS[l]}" "$IT_PYTHON" -c '
import socket
s = socket.create_connection(("127.0.0.1", 9750), timeout=5)
s.sendall(b"\x00\x01garbage\r\n\r\n")
print(s.recv(100).decode(errors="replace").splitlines()[0])
')
[ "$answer" = "HTTP/1.0 400 Bad Request" ] || it_fail "garbage answered '$answer', expected 400"

it_step "a client that sends nothing does not stall a scrape"
timeout 20 ip netns exec "${IT_NS[l]}" "$IT_PYTHON" -c '
import socket, subprocess, sys, time
idle = [socket.create_connection(("127.0.0.1", 9750), timeout=5) for _ in range(3)]
idle[0].sendall(b"GET /metr")  # half a request, then silence
start = time.monotonic()
out = subprocess.run(["curl", "-sS", "--max-time", "3", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9750/metrics"],
                     capture_output=True, text=True)
took = time.monotonic() - start
print("scrape beside 3 idle clients: %s in %.3f s" % (out.stdout, took), file=sys.stderr)
sys.exit(0 if out.stdout == "200" and took < 2 else 1)
' || it_fail "a scrape stalled behind idle clients"
tr_ping l r 2 || it_fail "the tunnel stopped while idle HTTP clients were connected"

it_step "bounds: 8 clients at most, an 8 KiB request head"
timeout 20 ip netns exec "${IT_NS[l]}" "$IT_PYTHON" -c '
import socket, sys
def connect():
    return socket.create_connection(("127.0.0.1", 9750), timeout=3)
idle = [connect() for _ in range(8)]
extra = connect()
refused = extra.recv(10) == b""  # accepted and closed at once: no slot left
for s in idle: s.close()
import time; time.sleep(0.3)  # let the daemon see them go
big = connect()
big.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000)
status = big.recv(100).decode(errors="replace").splitlines()[0]
print("9th client refused: %s; oversized head: %s" % (refused, status), file=sys.stderr)
sys.exit(0 if refused and status == "HTTP/1.0 431 Request Header Fields Too Large" else 1)
' || it_fail "client or request size bound not enforced"
code=$(ns_curl l -o /dev/null -w '%{http_code}' "$url_l")
[ "$code" = 200 ] || it_fail "no scrape after the bounded clients left (answered $code)"

it_step "metrics are off by default"
cyg_stop r || it_fail "cygnetd in r did not stop cleanly"
cfg_r_off=$(cyg_config r encapsulation=udp)
grep -q metrics "$cfg_r_off" && it_fail "harness config unexpectedly has a metrics key"
cyg_start r "$cfg_r_off"
ns_curl r -o /dev/null "$url_r" 2>/dev/null && it_fail "r answered on [::1]:9751 without a metrics setting"
ns_curl r -o /dev/null http://127.0.0.1:9750/metrics 2>/dev/null && it_fail "r answered on 127.0.0.1:9750"
ss_out=$(ip netns exec "${IT_NS[r]}" ss -Htln)
[ -z "$ss_out" ] || it_fail "r listens on TCP without a metrics setting: $ss_out"
it_log "no TCP listener in r"
exit 0
