# shellcheck shell=bash
# Reusable pieces for live-tunnel tests: network namespaces joined by veth, strongSwan (charon with
# the userspace kernel-libipsec data plane) and Cygnet (cygnetd/cygnetctl) started inside them with
# generated configurations, a test PKI made with the openssl CLI, ping/iperf3 through the tunnel,
# and a cleanup trap that ends every process this run started (by PID) and deletes its namespaces.
#
# Source it from bash (run as root), then call it_init once:
#
#   source tests/interop/strongswan/lib.sh
#   it_init                  # temp dir, traps, watchdog
#   ns_create_pair           # namespaces IT_NS[l] and IT_NS[r] (addresses below)
#   ss_start l; ss_load l "$(ss_swanctl_conf l ...)"      # strongSwan in l
#   cyg_start r "$(cyg_config r ...)"                     # Cygnet in r
#
# Nodes are named l (left) and r (right); IT_NS[node] is the namespace of a node. Topology of
# ns_create_pair (documentation addresses only, RFC 5737 / RFC 3849):
#
#   [ l ] out0 192.0.2.1/24  2001:db8::1/64 ===veth=== out0 192.0.2.2/24  2001:db8::2/64 [ r ]
#         prot0 198.51.100.1/24                        prot0 203.0.113.1/24
#               2001:db8:1::1/64                             2001:db8:2::1/64
#
# prot0 is a dummy interface, or, on kernels without the dummy driver (like this project's VMs),
# one end of a veth pair whose other end stays in the same namespace.
# Neither namespace has a route to the other's protected subnet, so a packet from 198.51.100.1 to
# 203.0.113.1 only arrives when a tunnel carries it. ns_create_trio puts a router namespace m
# between them (l 192.0.2.1/26 -- m 192.0.2.62/26 | m 192.0.2.65/26 -- r 192.0.2.66/26), optionally
# masquerading l's packets (NAT) with nftables.
#
# Everything external runs under `timeout`; a watchdog (IT_DEADLINE seconds, default 110) sends
# SIGTERM to the test so that nothing can hang. Names are unique per run ($$ plus a random part),
# so two tests can run at once.
#
# strongSwan with kernel-libipsec -- what it took (proved by `run_scenario.sh strongswan-baseline`):
#  * charon reads $STRONGSWAN_CONF; it writes /var/run/charon.pid, so each charon runs under
#    `unshare -m` with a private tmpfs on /run; its vici socket is moved into the test's temp dir
#    (charon.plugins.vici.socket) so swanctl reaches it with `--uri unix://...`.
#  * an explicit plugin list (ss_write_strongswan_conf): kernel-libipsec BEFORE kernel-netlink
#    (libipsec takes the IPsec part, netlink keeps routes/addresses), openssl for every algorithm
#    (there is no curve25519/chapoly plugin in Debian's build: openssl provides x25519 and
#    chacha20poly1305), kdf (5.9.8 derives IKE keys through it; without it: "KDF_PRF with
#    PRF_HMAC_SHA2_256 not supported", "key derivation failed"), socket-default, vici, nonce,
#    random, pem/pkcs1/pkcs8/x509/pubkey/revocation/constraints for certificates.
#  * install_routes = yes is required: kernel-libipsec has no kernel policies, the only way traffic
#    enters its TUN device (ipsec0) is the route charon puts into table 220 ("203.0.113.0/24 dev
#    ipsec0 src 198.51.100.1"), preferred source taken from the address inside local_ts (here the
#    dummy prot0). install_virtual_ip = no (no virtual IPs are used).
#  * kernel-libipsec requires UDP encapsulation, and charon forces it by sending fake NAT_DETECTION
#    hashes (as `encap = yes` would), so IKE floats to 4500 and ESP is always ESP-in-UDP/4500, even
#    without `encap = yes`. A peer must therefore accept UDP-encapsulated ESP (Cygnet: it detects the
#    "NAT" from those hashes; encapsulation = "udp" makes it explicit).
#  * libipsec does tunnel-mode ESP only: an AH child fails with "IPsec SA: protocol not supported",
#    a transport-mode child with "IPsec SA: unsupported mode" (both: "failed to create SAD entry").
#    So AH and transport mode are tested Cygnet <-> Cygnet only.
#  * libipsec cannot trap: a packet matching a trap policy is dropped ("could not find an outbound
#    IPsec SA for reqid {1}, dropping packet") and no acquire reaches charon, so start_action =
#    trap on the strongSwan side never starts anything. Traps are tested on the Cygnet side.
#  * mobike = no (kept simple: no address updates), dpd_delay = 0 unless a test wants DPD.
set -o pipefail

IT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_SOURCE_ROOT=$(cd "$IT_LIB_DIR/../../.." && pwd)
: "${CYGNETD:=$IT_SOURCE_ROOT/build/src/daemon/cygnetd}"
: "${CYGNETCTL:=$IT_SOURCE_ROOT/build/src/cli/cygnetctl}"
: "${CHARON:=/usr/lib/ipsec/charon}"
: "${SWANCTL:=swanctl}"
: "${IT_DEADLINE:=110}"
IT_PYTHON=/usr/bin/python3
IT_SKIP=77  # ctest SKIP_RETURN_CODE

declare -gA IT_NS=() IT_KIND=() IT_DIR=() IT_PID=() IT_OUTER=() IT_INNER=() IT_OUTER6=() IT_INNER6=()
declare -gA IT_PROT_NET=()
declare -ga IT_PIDS=() IT_NETNS=() IT_LOGS=()
IT_TMP=""
IT_START=$SECONDS
IT_FAILED=0

# --- logging ----------------------------------------------------------------------------------

it_log() { printf '[%3ds] %s\n' "$((SECONDS - IT_START))" "$*" >&2; }
it_step() { it_log "== $*"; }
it_fail() {
  IT_FAILED=1
  it_log "FAIL: $*"
  exit 1
}
it_skip() {
  it_log "SKIP: $*"
  IT_FAILED=0
  exit "$IT_SKIP"
}

# --- set-up, processes, cleanup ---------------------------------------------------------------

# Checks that we can run at all (root, the tools); exits with IT_SKIP otherwise.
it_require() {
  local tool
  [ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ] || it_skip "'$tool' is not installed"
  done
}

it_init() {
  IT_ID="$$-$(printf '%04x' "$RANDOM")"
  IT_TMP=$(mktemp -d "/tmp/cygnet-it.$$.XXXXXX") || exit 1
  trap 'it_on_exit' EXIT
  trap 'it_log "interrupted (signal)"; IT_FAILED=1; exit 1' INT TERM HUP
  # Watchdog: a bounded run even if some step misbehaves despite its own timeout.
  # Its sleep is ended with it (TERM trap), so no orphan outlives the test.
  local main=$$
  (
    trap 'kill -TERM "$sp" 2>/dev/null; wait "$sp"; exit 0' TERM
    sleep "$IT_DEADLINE" &
    sp=$!
    wait "$sp" && echo "watchdog: ${IT_DEADLINE}s elapsed, stopping test" >&2 && kill -TERM "$main"
  ) &
  IT_WATCHDOG_PID=$!
  it_track_pid $!
}

it_track_pid() { IT_PIDS+=("$1"); }

# Runs "$@" in namespace NS in the background with output in LOG; IT_LAST_PID = its PID (ip netns
# exec, unshare and exec keep the PID, so it is the PID of the final program). Not in $(...)!
it_spawn() {
  local ns=$1 log=$2
  shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
  IT_LAST_PID=$!
  it_track_pid "$IT_LAST_PID"
  IT_LOGS+=("$log")
}

it_alive() { kill -0 "$1" 2>/dev/null; }

# Stops one PID we started: SIGTERM, up to TIMEOUT seconds (default 5), then SIGKILL. Returns the
# process's exit status when it ended by itself after SIGTERM (0 = clean), 137 when killed.
it_stop_pid() {
  local pid=$1 timeout=${2:-5} i rc=0
  it_alive "$pid" || { wait "$pid" 2>/dev/null; return $?; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < timeout * 10; i++)); do
    it_alive "$pid" || break
    # a zombie child of ours counts as ended
    [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && break
    sleep 0.1
  done
  if it_alive "$pid" && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; then
    it_log "pid $pid did not stop on SIGTERM within ${timeout}s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  rc=$?
  return $rc
}

it_on_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  [ "$rc" -ne 0 ] && [ "$rc" -ne "$IT_SKIP" ] && IT_FAILED=1
  [ "$IT_FAILED" -ne 0 ] && it_snapshot
  it_cleanup
  if [ "$IT_FAILED" -ne 0 ]; then
    it_dump_logs
    it_log "result: FAILED (rc=$rc)"
  elif [ "$rc" -eq "$IT_SKIP" ]; then
    it_log "result: SKIPPED"
  else
    it_log "result: PASSED"
  fi
  if [ -n "$IT_TMP" ] && [ -d "$IT_TMP" ]; then
    if [ -n "${IT_KEEP:-}" ]; then it_log "kept $IT_TMP"; else rm -rf "$IT_TMP"; fi
  fi
  exit "$rc"
}

# On failure, before the daemons are stopped: what each still-running daemon thinks (into its log dir).
it_snapshot() {
  local node
  for node in "${!IT_KIND[@]}"; do
    [ -n "${IT_PID[$node]:-}" ] && it_alive "${IT_PID[$node]}" || continue
    if [ "${IT_KIND[$node]}" = cygnet ]; then
      { cyg_ctl "$node" status --json; cyg_ctl "$node" stats --json; } >"${IT_DIR[$node]}/final-status.log" 2>&1
    else
      ss_ctl "$node" --list-sas >"${IT_DIR[$node]}/final-sas.log" 2>&1
    fi
  done
}

it_dump_logs() {
  local f
  [ -n "$IT_TMP" ] && [ -d "$IT_TMP" ] || return 0
  for f in $(find "$IT_TMP" -name '*.log' -o -name '*.stderr' | sort); do
    [ -s "$f" ] || continue
    echo "----- ${f#"$IT_TMP"/} (last 60 lines) -----" >&2
    tail -n 60 "$f" >&2
  done
}

# Ends every process we started (by PID: SIGTERM to all, wait up to 5 s, SIGKILL the rest), then any
# process still inside our namespaces (by PID), then deletes the namespaces. Idempotent.
it_cleanup() {
  local pid ns i alive
  for pid in "${IT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for ((i = 0; i < 50; i++)); do
    alive=0
    for pid in "${IT_PIDS[@]}"; do
      if it_alive "$pid" && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; then alive=1; fi
    done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${IT_PIDS[@]}"; do
    if it_alive "$pid" && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; then
      it_log "cleanup: pid $pid ignored SIGTERM; SIGKILL"
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  IT_PIDS=()
  for ns in "${IT_NETNS[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      it_log "cleanup: pid $pid still in namespace $ns; SIGKILL"
      kill -KILL "$pid" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
  done
  IT_NETNS=()
}

# Between independent parts of one run (e.g. benchmark rows): ends every process but the
# watchdog, deletes the namespaces, forgets the nodes. The next part starts with ns_create_pair.
it_reset() {
  local keep=${IT_WATCHDOG_PID:-}
  local -a rest=()
  local pid
  for pid in "${IT_PIDS[@]}"; do [ "$pid" = "$keep" ] || rest+=("$pid"); done
  IT_PIDS=("${rest[@]}")
  it_cleanup
  [ -n "$keep" ] && IT_PIDS=("$keep")
  IT_NS=() IT_KIND=() IT_PID=() IT_OUTER=() IT_INNER=() IT_OUTER6=() IT_INNER6=() IT_PROT_NET=()
  IT_DIR=()
}

# Polls "$@" every 0.2 s until it succeeds; fails after TIMEOUT seconds. it_wait_for 10 "SA" cmd...
it_wait_for() {
  local timeout=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  while ! "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && { it_log "timed out after ${timeout}s waiting for $what"; return 1; }
    sleep 0.2
  done
}

# Evaluates a Python expression on JSON read from stdin (bound to d); exit 0 when truthy, prints
# non-boolean results. Example: cyg_status r | it_json 'len(d["connections"])'.
it_json() {
  "$IT_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, dict) and "ok" in d and "result" in d:
    d = d["result"]
r = eval(sys.argv[1])
if isinstance(r, bool):
    sys.exit(0 if r else 1)
print(r)
' "$1"
}

# --- namespaces -------------------------------------------------------------------------------

ns_add() {  # ns_add NODE -> creates namespace, lo up
  local node=$1 ns="cyg-${IT_ID}-$1"
  ip netns add "$ns" || it_fail "cannot create namespace $ns"
  IT_NETNS+=("$ns")
  IT_NS[$node]=$ns
  IT_DIR[$node]=$IT_TMP/${IT_PART:+$IT_PART-}$node  # IT_PART: a label per part of a run (benchmark row)
  mkdir -p "${IT_DIR[$node]}"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 2>/dev/null || true
}

# NODE ADDR4/LEN ADDR6/LEN: an interface prot0 holding the protected subnet: a dummy, or (kernels
# without the dummy driver) one end of a veth pair that stays inside the namespace.
ns_add_protected() {
  local ns=${IT_NS[$1]}
  if ! ip -n "$ns" link add prot0 type dummy 2>/dev/null; then
    ip -n "$ns" link add prot0 type veth peer name prot0p || it_fail "cannot create prot0 in $ns"
    ip -n "$ns" link set prot0p up
  fi
  ip -n "$ns" addr add "$2" dev prot0
  [ -n "${3:-}" ] && ip -n "$ns" addr add "$3" dev prot0 nodad
  ip -n "$ns" link set prot0 up
  IT_INNER[$1]=${2%/*}
  IT_INNER6[$1]=${3%/*}
}

# l and r joined by one veth (out0 on both sides). Sets IT_OUTER/IT_INNER (and *6) per node.
ns_create_pair() {
  ns_add l
  ns_add r
  ip -n "${IT_NS[l]}" link add out0 type veth peer name out0 netns "${IT_NS[r]}" || it_fail "veth"
  ip -n "${IT_NS[l]}" addr add 192.0.2.1/24 dev out0
  ip -n "${IT_NS[r]}" addr add 192.0.2.2/24 dev out0
  ip -n "${IT_NS[l]}" addr add 2001:db8::1/64 dev out0 nodad
  ip -n "${IT_NS[r]}" addr add 2001:db8::2/64 dev out0 nodad
  ip -n "${IT_NS[l]}" link set out0 up
  ip -n "${IT_NS[r]}" link set out0 up
  IT_OUTER[l]=192.0.2.1 IT_OUTER[r]=192.0.2.2
  IT_OUTER6[l]=2001:db8::1 IT_OUTER6[r]=2001:db8::2
  ns_add_protected l 198.51.100.1/24 2001:db8:1::1/64
  ns_add_protected r 203.0.113.1/24 2001:db8:2::1/64
  IT_PROT_NET[l]=198.51.100.0/24 IT_PROT_NET[r]=203.0.113.0/24
  it_wait_for 5 "veth link" ip netns exec "${IT_NS[l]}" ping -c1 -W1 192.0.2.2 || it_fail "veth does not pass traffic"
}

# l -- m -- r with m routing between 192.0.2.0/26 and 192.0.2.64/26. NAT=1: m masquerades what l
# sends out of its right side (l's outer address appears as 192.0.2.65 to r).
ns_create_trio() {
  local nat=${1:-0}
  ns_add l
  ns_add m
  ns_add r
  ip -n "${IT_NS[l]}" link add out0 type veth peer name left0 netns "${IT_NS[m]}"
  ip -n "${IT_NS[r]}" link add out0 type veth peer name right0 netns "${IT_NS[m]}"
  ip -n "${IT_NS[l]}" addr add 192.0.2.1/26 dev out0
  ip -n "${IT_NS[m]}" addr add 192.0.2.62/26 dev left0
  ip -n "${IT_NS[m]}" addr add 192.0.2.65/26 dev right0
  ip -n "${IT_NS[r]}" addr add 192.0.2.66/26 dev out0
  ip -n "${IT_NS[l]}" link set out0 up
  ip -n "${IT_NS[r]}" link set out0 up
  ip -n "${IT_NS[m]}" link set left0 up
  ip -n "${IT_NS[m]}" link set right0 up
  ip -n "${IT_NS[l]}" route add 192.0.2.64/26 via 192.0.2.62
  ip -n "${IT_NS[r]}" route add 192.0.2.0/26 via 192.0.2.65
  ip netns exec "${IT_NS[m]}" sysctl -qw net.ipv4.ip_forward=1
  IT_OUTER[l]=192.0.2.1 IT_OUTER[r]=192.0.2.66 IT_OUTER[m]=192.0.2.62
  if [ "$nat" = 1 ]; then
    ip netns exec "${IT_NS[m]}" nft -f - <<'EOF' || it_fail "nft NAT"
table ip cygnet_nat {
  chain post { type nat hook postrouting priority srcnat; oifname "right0" masquerade; }
}
EOF
  fi
  ns_add_protected l 198.51.100.1/24 2001:db8:1::1/64
  ns_add_protected r 203.0.113.1/24 2001:db8:2::1/64
  IT_PROT_NET[l]=198.51.100.0/24 IT_PROT_NET[r]=203.0.113.0/24
  it_wait_for 5 "routed link" ip netns exec "${IT_NS[l]}" ping -c1 -W1 192.0.2.66 || it_fail "trio does not pass traffic"
}

# Counts, on NODE's out0 (both directions), the outer packets by kind: raw ESP, AH, ESP in UDP 4500
# (a non-zero SPI where IKE on 4500 has its zero non-ESP marker, so IKE moved to 4500 is not
# counted as ESP; NAT keepalives are too short to count), UDP 500, cleartext ICMP echo and TCP (what a tunnel must carry), and
# other ICMPv4 (errors, e.g. "protocol unreachable" when a raw ESP socket's receive queue
# overflows). nft_counter NODE NAME reads one (esp ah udp4500 udp500 clear_icmp icmp_error clear_tcp).
nft_count_setup() {
  ip netns exec "${IT_NS[$1]}" nft -f - <<'EOF' || it_fail "nft counters"
table inet cygnet_count {
  counter c_esp {}
  counter c_ah {}
  counter c_udp4500 {}
  counter c_udp500 {}
  counter c_clear_icmp {}
  counter c_icmp_error {}
  counter c_clear_tcp {}
  chain count {
    meta l4proto esp counter name c_esp
    meta l4proto ah counter name c_ah
    udp dport 4500 @th,64,32 != 0 counter name c_udp4500
    udp sport 4500 @th,64,32 != 0 counter name c_udp4500
    udp dport 500 counter name c_udp500
    icmp type { echo-request, echo-reply } counter name c_clear_icmp
    icmpv6 type { echo-request, echo-reply } counter name c_clear_icmp
    icmp type != { echo-request, echo-reply } counter name c_icmp_error
    meta l4proto tcp counter name c_clear_tcp
  }
  chain in { type filter hook input priority -300; iifname "out0" jump count; }
  chain out { type filter hook output priority -300; oifname "out0" jump count; }
}
EOF
}
nft_counter() {  # prints the packet count of counter NAME on NODE
  ip netns exec "${IT_NS[$1]}" nft list counter inet cygnet_count "c_$2" 2>/dev/null |
    sed -n 's/.*packets \([0-9]*\).*/\1/p' | awk 'NR == 1'  # reads all (head could SIGPIPE under pipefail)
}

# Diagnosis: IT_PCAP=1 makes it_capture NODE record the IKE messages on NODE's out0 (UDP 500, and
# UDP 4500 with the non-ESP marker: no ESP data) to $IT_TMP/NODE-out0.pcapng; keep it with
# IT_KEEP=1, read it with tshark -V.
it_capture() {
  [ -n "${IT_PCAP:-}" ] || return 0
  command -v dumpcap >/dev/null 2>&1 || { it_log "IT_PCAP: dumpcap not installed"; return 0; }
  it_spawn "${IT_NS[$1]}" "$IT_TMP/$1-dumpcap.stderr" timeout 300 dumpcap -q -i out0 \
    -f 'udp port 500 or (udp port 4500 and udp[8:4] = 0)' -w "$IT_TMP/$1-out0.pcapng"
  sleep 0.5
}

# Receive-queue drops of NODE's raw (ESP/AH) and UDP 500/4500 sockets: "raw=N udp=M".
socket_drops() {
  local ns=${IT_NS[$1]} raw udp
  raw=$(ip netns exec "$ns" cat /proc/net/raw /proc/net/raw6 2>/dev/null | awk 'NR > 1 && $NF ~ /^[0-9]+$/ {s += $NF} END {print s + 0}')
  udp=$(ip netns exec "$ns" cat /proc/net/udp /proc/net/udp6 2>/dev/null |
    awk '$2 ~ /:(01F4|1194)$/ {s += $NF} END {print s + 0}')
  echo "raw=$raw udp=$udp"
}

# --- PKI (openssl CLI) ------------------------------------------------------------------------

# pki_ca DIR TYPE (ecdsa|rsa) -> DIR/ca.pem, DIR/ca.key
pki_ca() {
  local dir=$1 type=$2
  mkdir -p "$dir"
  pki_genkey "$type" "$dir/ca.key"
  timeout 20 openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 30 -subj "/O=Cygnet Test/CN=Cygnet Test CA $type" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out "$dir/ca.pem" 2>"$dir/openssl.log" || it_fail "openssl CA ($type)"
}
pki_genkey() {  # TYPE FILE: PKCS#8 PEM, unencrypted
  case $1 in
    ecdsa) timeout 20 openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" 2>/dev/null ;;
    rsa) timeout 30 openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
    *) it_fail "pki_genkey: unknown key type $1" ;;
  esac || it_fail "openssl genpkey $1"
}
# pki_host DIR NAME TYPE SAN... : host key+cert signed by DIR/ca, SANs like IP:192.0.2.1 DNS:x.
# -> DIR/NAME.key (PKCS#8), DIR/NAME.pem. Subject CN = the first SAN's value.
pki_host() {
  local dir=$1 name=$2 type=$3
  shift 3
  local san cn=${1#*:}
  san=$(IFS=,; echo "$*")
  pki_genkey "$type" "$dir/$name.key"
  timeout 20 openssl req -new -key "$dir/$name.key" -subj "/O=Cygnet Test/CN=$cn" -out "$dir/$name.csr" 2>>"$dir/openssl.log" ||
    it_fail "openssl req $name"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' \
    "$san" >"$dir/$name.ext"
  timeout 20 openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
    -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>>"$dir/openssl.log" || it_fail "openssl x509 $name"
}

# --- strongSwan -------------------------------------------------------------------------------

SS_PLUGINS="random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey revocation constraints kernel-libipsec kernel-netlink socket-default vici"

# NODE -> ${IT_DIR[NODE]}/strongswan.conf. Extra text (strongswan.conf syntax, inside charon {})
# in SS_EXTRA_CHARON. Diagnosis: SS_LOG_ENC=2 logs every payload charon parses and generates,
# SS_LOG_IKE=3 and SS_LOG_ENC=3 (or 4) also hashes and decrypted message bytes.
ss_write_strongswan_conf() {
  local node=$1 dir=${IT_DIR[$1]} p
  for p in $SS_PLUGINS; do
    [ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || it_skip "strongSwan plugin $p is not installed"
  done
  cat >"$dir/strongswan.conf" <<EOF
# generated by tests/interop/strongswan/lib.sh
charon {
  load = $SS_PLUGINS
  install_routes = yes
  install_virtual_ip = no
  port = 500
  port_nat_t = 4500
  retransmit_tries = 3
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  retransmit_jitter = 0
  init_limit_half_open = 0
  interfaces_ignore = ipsec0
  syslog {
    identifier = charon-$IT_ID-$node
    daemon { default = -1 }
  }
  filelog {
    charon {
      path = $dir/charon.log
      time_format = %H:%M:%S
      ike_name = yes
      append = no
      flush_line = yes
      default = 1
      ike = ${SS_LOG_IKE:-2}
      cfg = 2
      knl = 1
      esp = 1
      enc = ${SS_LOG_ENC:-1}
    }
  }
  plugins {
    vici {
      socket = unix://$dir/charon.vici
    }
    kernel-libipsec {
      allow_peer_ts = no
    }
  }
${SS_EXTRA_CHARON:-}
}
swanctl {
  load = pem pkcs1 pkcs8 x509 openssl random nonce
}
EOF
}

ss_uri() { echo "unix://${IT_DIR[$1]}/charon.vici"; }

# swanctl against NODE's charon, bounded: ss_ctl NODE --list-sas ... (the command comes first:
# swanctl only accepts --uri after it).
ss_ctl() {
  local node=$1 cmd=$2
  shift 2
  STRONGSWAN_CONF=${IT_DIR[$node]}/strongswan.conf timeout 20 "$SWANCTL" "$cmd" --uri "$(ss_uri "$node")" "$@"
}

# Starts charon in NODE's namespace (private /run) and waits for its vici socket.
ss_start() {
  local node=$1 dir=${IT_DIR[$1]}
  [ -f "$dir/strongswan.conf" ] || ss_write_strongswan_conf "$node"
  STRONGSWAN_CONF=$dir/strongswan.conf it_spawn "${IT_NS[$node]}" "$dir/charon.stderr" \
    unshare -m --propagation private sh -c 'mount -t tmpfs -o mode=0755 cygnet-run /run && exec "$0"' "$CHARON"
  IT_PID[$node]=$IT_LAST_PID
  IT_KIND[$node]=strongswan
  it_wait_for 10 "charon vici socket in $node" ss_ctl "$node" --stats || {
    it_alive "${IT_PID[$node]}" || it_log "charon in $node exited"
    it_fail "charon in $node did not come up"
  }
  it_log "charon started in $node (pid ${IT_PID[$node]})"
}

ss_stop() {
  local node=$1 rc
  [ -n "${IT_PID[$node]:-}" ] || return 0
  it_stop_pid "${IT_PID[$node]}" 10
  rc=$?
  IT_PID[$node]=""
  return $rc
}

# Writes a swanctl.conf for one connection with one child and prints its path.
# ss_swanctl_conf NODE key=value...  Keys (defaults in brackets):
#   name [peer]  child [net]  local_addr remote_addr [node's/peer's outer]  local_id remote_id [addrs]
#   auth [psk]  psk [test secret]  cert key cacert (absolute paths, auth=pubkey)
#   ike_proposals [aes256gcm16-prfsha256-x25519]  esp_proposals [aes256gcm16]  ah_proposals
#   mode [tunnel]  local_ts remote_ts [protected subnets]  start_action [none]  encap [no]
#   ike_rekey [4h] ike_over [] ike_rand []  child_rekey [1h] child_life [] child_rand []
#   dpd_delay [0]  mobike [no]  close_action [none]  dpd_action [clear]  remote_port [500]
#   life_bytes rekey_bytes life_packets rekey_packets  send_cert [ifasked]  extra_conn extra_child (raw text)
#   version [2] (1 = IKEv1: Main Mode, Quick Mode)  aggressive [] (yes: IKEv1 Aggressive Mode; with a
#   PSK, charon answers Aggressive Mode only with charon.i_dont_care_about_security_and_use_aggressive_mode_psk
#   = yes, set through SS_EXTRA_CHARON)  dpd_timeout [] (IKEv1 only: how long DPD waits for an answer)
ss_swanctl_conf() {
  local node=$1
  shift
  local peer
  [ "$node" = l ] && peer=r || peer=l
  local -A c=(
    [name]=peer [child]=net [local_addr]=${IT_OUTER[$node]} [remote_addr]=${IT_OUTER[$peer]}
    [auth]=psk [psk]=cygnet-interop-test-secret-0123456789abcdef
    [ike_proposals]=aes256gcm16-prfsha256-x25519 [esp_proposals]=aes256gcm16 [ah_proposals]=""
    [mode]=tunnel [local_ts]=${IT_PROT_NET[$node]} [remote_ts]=${IT_PROT_NET[$peer]}
    [start_action]=none [encap]=no [ike_rekey]=4h [ike_over]="" [ike_rand]=""
    [child_rekey]=1h [child_life]="" [child_rand]="" [dpd_delay]=0 [mobike]=no
    [close_action]=none [dpd_action]=clear [remote_port]=500 [cert]="" [key]="" [cacert]=""
    [life_bytes]="" [rekey_bytes]="" [life_packets]="" [rekey_packets]="" [extra_conn]="" [extra_child]=""
    [local_id]="" [remote_id]="" [send_cert]=ifasked [version]=2 [aggressive]="" [dpd_timeout]=""
  )
  local kv
  for kv in "$@"; do c[${kv%%=*}]=${kv#*=}; done
  [ -n "${c[local_id]}" ] || c[local_id]=${c[local_addr]}
  [ -n "${c[remote_id]}" ] || c[remote_id]=${c[remote_addr]}
  local f=${IT_DIR[$node]}/swanctl.conf local_auth remote_auth proposals sub
  # swanctl --load-all also scans these directories next to the file; empty ones keep it quiet.
  for sub in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
    mkdir -p "${IT_DIR[$node]}/$sub"
  done
  # Private keys are only loaded from the private/ (rsa/, ecdsa/, pkcs8/) folder next to
  # swanctl.conf; a secrets.private<x> section merely holds a passphrase for one of those files.
  rm -f "${IT_DIR[$node]}/private/"*
  [ "${c[auth]}" = pubkey ] && cp "${c[key]}" "${IT_DIR[$node]}/private/"
  if [ "${c[auth]}" = psk ]; then
    local_auth="auth = psk"
    remote_auth="auth = psk"
  else
    local_auth="auth = pubkey
        certs = ${c[cert]}"
    remote_auth="auth = pubkey
        cacerts = ${c[cacert]}"
  fi
  if [ -n "${c[ah_proposals]}" ]; then
    proposals="ah_proposals = ${c[ah_proposals]}"
  else
    proposals="esp_proposals = ${c[esp_proposals]}"
  fi
  opt() { [ -n "${c[$2]}" ] && echo "$1 = ${c[$2]}"; }
  {
    cat <<EOF
# generated by tests/interop/strongswan/lib.sh
connections {
  ${c[name]} {
    version = ${c[version]}
    $(opt aggressive aggressive)
    local_addrs = ${c[local_addr]}
    remote_addrs = ${c[remote_addr]}
    remote_port = ${c[remote_port]}
    proposals = ${c[ike_proposals]}
    encap = ${c[encap]}
    mobike = ${c[mobike]}
    dpd_delay = ${c[dpd_delay]}
    $(opt dpd_timeout dpd_timeout)
    rekey_time = ${c[ike_rekey]}
    $(opt over_time ike_over)
    $(opt rand_time ike_rand)
    fragmentation = yes
    send_cert = ${c[send_cert]}
    local {
      $local_auth
      id = ${c[local_id]}
    }
    remote {
      $remote_auth
      id = ${c[remote_id]}
    }
    children {
      ${c[child]} {
        mode = ${c[mode]}
        local_ts = ${c[local_ts]}
        remote_ts = ${c[remote_ts]}
        $proposals
        rekey_time = ${c[child_rekey]}
        $(opt life_time child_life)
        $(opt rand_time child_rand)
        $(opt life_bytes life_bytes)
        $(opt rekey_bytes rekey_bytes)
        $(opt life_packets life_packets)
        $(opt rekey_packets rekey_packets)
        start_action = ${c[start_action]}
        close_action = ${c[close_action]}
        dpd_action = ${c[dpd_action]}
        ${c[extra_child]}
      }
    }
    ${c[extra_conn]}
  }
}
secrets {
EOF
    if [ "${c[auth]}" = psk ]; then
      printf '  ike-1 {\n    id-1 = %s\n    id-2 = %s\n    secret = "%s"\n  }\n' "${c[local_id]}" "${c[remote_id]}" "${c[psk]}"
    fi
    echo "}"
  } >"$f"
  unset -f opt
  echo "$f"
}

# Loads credentials and connections (swanctl --load-all --file FILE).
ss_load() {
  local node=$1 file=${2:-${IT_DIR[$1]}/swanctl.conf}
  ss_ctl "$node" --load-all --noprompt --file "$file" >"${IT_DIR[$node]}/swanctl-load.log" 2>&1 || {
    cat "${IT_DIR[$node]}/swanctl-load.log" >&2
    it_fail "swanctl --load-all in $node"
  }
}

# Initiates CHILD (and its IKE SA) and waits for the result (bounded).
ss_initiate() {
  local node=$1 child=${2:-net}
  ss_ctl "$node" --initiate --child "$child" --timeout 15 >"${IT_DIR[$node]}/swanctl-initiate.log" 2>&1 || {
    cat "${IT_DIR[$node]}/swanctl-initiate.log" >&2
    return 1
  }
}

# NODE's IKE SAs as JSON: a list of dicts (swanctl's fields, plus "name" = connection, and
# "child-sas" = list of child dicts), see vici_to_json.py.
ss_sas_json() {
  ss_ctl "$1" --list-sas --pretty 2>/dev/null | "$IT_PYTHON" "$IT_LIB_DIR/vici_to_json.py"
}

# True when NODE has an ESTABLISHED IKE SA NAME with an INSTALLED child CHILD.
ss_has_sa() {
  local node=$1 name=${2:-peer} child=${3:-net}
  ss_sas_json "$node" | it_json "any(sa.get('state') == 'ESTABLISHED' and any(c.get('name') == '$child' and c.get('state') == 'INSTALLED' for c in sa['child-sas']) for sa in d if sa['name'] == '$name')"
}
ss_has_no_sa() {
  local node=$1 name=${2:-peer}
  ss_sas_json "$node" | it_json "not any(sa['name'] == '$name' for sa in d)"
}
# Prints "IKE_UNIQUEID CHILD_UNIQUEID" of NODE's established SA NAME/CHILD (highest ids).
ss_sa_ids() {
  local node=$1 name=${2:-peer} child=${3:-net}
  ss_sas_json "$node" | it_json "' '.join(str(max([int(x) for x in v] or [0])) for v in ([sa['uniqueid'] for sa in d if sa['name'] == '$name' and sa.get('state') == 'ESTABLISHED'], [c['uniqueid'] for sa in d if sa['name'] == '$name' for c in sa['child-sas'] if c.get('name') == '$child' and c.get('state') == 'INSTALLED']))"
}
# True when NODE's highest IKE and CHILD unique ids are both above IDS0 ("IKE CHILD", as printed
# by ss_sa_ids): both were replaced. ss_child_id_grew: the CHILD one only.
ss_ids_grew() { local now; now=$(ss_sa_ids "$1") || return 1; [ "${now% *}" -gt "${2% *}" ] && [ "${now#* }" -gt "${2#* }" ]; }
ss_child_id_grew() { local now; now=$(ss_sa_ids "$1") || return 1; [ "${now#* }" -gt "${2#* }" ]; }
ss_wait_sa() {
  local node=$1 timeout=${2:-15} name=${3:-peer} child=${4:-net}
  it_wait_for "$timeout" "strongSwan SA $name/$child in $node" ss_has_sa "$node" "$name" "$child"
}

# --- Cygnet -----------------------------------------------------------------------------------

cyg_socket() { echo "${IT_DIR[$1]}/cygnetd.sock"; }
cyg_ctl() {
  local node=$1
  shift
  timeout 15 "$CYGNETCTL" --socket "$(cyg_socket "$node")" "$@"
}
toml_list() {  # "a b c" -> ["a", "b", "c"]
  local out="" x
  for x in $1; do out+="${out:+, }\"$x\""; done
  echo "[$out]"
}

# Writes a cygnetd TOML for one connection with one child and prints its path.
# cyg_config NODE key=value...  Keys (defaults in brackets):
#   name [peer] child [net] listen local_addr remote_addr [outer addresses] local_id remote_id
#   auth [psk] psk cert key cacert  ike_proposals [aes256gcm16-prfsha256-x25519]
#   esp_proposals [aes256gcm16] ah_proposals (sets protocol = "ah")  mode [tunnel]
#   local_ts remote_ts [protected subnets; "-" = empty (host addresses)]  start_action [none]
#   encapsulation [auto]  ike_lifetime [4h] lifetime [1h] life_bytes life_packets
#   dpd_delay [0] replay_window [1024] log_level [debug] tun [cyg<pid-ish><node>] remote_port
#   ike_version [2]  aggressive [] (true|false; IKEv1 Aggressive Mode)
cyg_config() {
  local node=$1
  shift
  local peer
  [ "$node" = l ] && peer=r || peer=l
  local -A c=(
    [name]=peer [child]=net [listen]=${IT_OUTER[$node]} [local_addr]=${IT_OUTER[$node]}
    [remote_addr]=${IT_OUTER[$peer]} [local_id]="" [remote_id]="" [auth]=psk
    [psk]=cygnet-interop-test-secret-0123456789abcdef [cert]="" [key]="" [cacert]=""
    [ike_proposals]=aes256gcm16-prfsha256-x25519 [esp_proposals]=aes256gcm16 [ah_proposals]=""
    [mode]=tunnel [local_ts]=${IT_PROT_NET[$node]} [remote_ts]=${IT_PROT_NET[$peer]}
    [start_action]=none [encapsulation]=auto [ike_lifetime]=4h [lifetime]=1h [life_bytes]=""
    [life_packets]="" [dpd_delay]=0 [replay_window]=1024 [log_level]=debug
    [tun]="cyg$(($$ % 100000))$node" [remote_port]="" [ike_version]=2 [aggressive]=""
  )
  local kv
  for kv in "$@"; do c[${kv%%=*}]=${kv#*=}; done
  [ -n "${c[local_id]}" ] || c[local_id]=${c[local_addr]}
  [ -n "${c[remote_id]}" ] || c[remote_id]=${c[remote_addr]}
  [ "${c[local_ts]}" = - ] && c[local_ts]=""
  [ "${c[remote_ts]}" = - ] && c[remote_ts]=""
  local f=${IT_DIR[$node]}/cygnetd.toml n=${c[name]}
  {
    cat <<EOF
# generated by tests/interop/strongswan/lib.sh
[daemon]
listen = $(toml_list "${c[listen]}")
control_socket = "$(cyg_socket "$node")"
tun = "${c[tun]}"
log_level = "${c[log_level]}"

[connections.$n]
ike_version = ${c[ike_version]}
local_addrs = $(toml_list "${c[local_addr]}")
remote_addrs = $(toml_list "${c[remote_addr]}")
local_id = "${c[local_id]}"
remote_id = "${c[remote_id]}"
auth = "${c[auth]}"
EOF
    if [ "${c[auth]}" = psk ]; then
      echo "psk = \"${c[psk]}\""
    else
      echo "certificate = \"${c[cert]}\""
      echo "private_key = \"${c[key]}\""
      echo "ca_certificates = $(toml_list "${c[cacert]}")"
    fi
    [ -n "${c[remote_port]}" ] && echo "remote_port = ${c[remote_port]}"
    [ -n "${c[aggressive]}" ] && echo "aggressive = ${c[aggressive]}"
    cat <<EOF
ike_proposals = $(toml_list "${c[ike_proposals]}")
start_action = "${c[start_action]}"
dpd_delay = "${c[dpd_delay]}"
ike_lifetime = "${c[ike_lifetime]}"
encapsulation = "${c[encapsulation]}"

[[connections.$n.children]]
name = "${c[child]}"
mode = "${c[mode]}"
local_ts = $(toml_list "${c[local_ts]}")
remote_ts = $(toml_list "${c[remote_ts]}")
lifetime = "${c[lifetime]}"
replay_window = ${c[replay_window]}
EOF
    if [ -n "${c[ah_proposals]}" ]; then
      echo 'protocol = "ah"'
      echo "ah_proposals = $(toml_list "${c[ah_proposals]}")"
    else
      echo 'protocol = "esp"'
      echo "esp_proposals = $(toml_list "${c[esp_proposals]}")"
    fi
    [ -n "${c[life_bytes]}" ] && echo "life_bytes = ${c[life_bytes]}"
    [ -n "${c[life_packets]}" ] && echo "life_packets = ${c[life_packets]}"
    true
  } >"$f"
  echo "$f"
}

cyg_built() { [ -x "$CYGNETD" ] && [ -x "$CYGNETCTL" ]; }

# Starts cygnetd in NODE's namespace with CONFIG and waits for its control socket to answer.
cyg_start() {
  local node=$1 config=$2 dir=${IT_DIR[$1]}
  cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
  it_spawn "${IT_NS[$node]}" "$dir/cygnetd.log" "$CYGNETD" --config "$config" --log-level "${CYG_LOG_LEVEL:-debug}" ${CYG_EXTRA_ARGS:-}
  IT_PID[$node]=$IT_LAST_PID
  IT_KIND[$node]=cygnet
  it_wait_for 10 "cygnetd control socket in $node" cyg_ctl "$node" status --json || {
    it_alive "${IT_PID[$node]}" || it_log "cygnetd in $node exited"
    it_fail "cygnetd in $node did not come up"
  }
  it_log "cygnetd started in $node (pid ${IT_PID[$node]})"
}

# Stops cygnetd (SIGTERM; it deletes its SAs and must exit 0).
cyg_stop() {
  local node=$1 rc
  [ -n "${IT_PID[$node]:-}" ] || return 0
  it_stop_pid "${IT_PID[$node]}" 10
  rc=$?
  IT_PID[$node]=""
  [ "$rc" -eq 0 ] || it_log "cygnetd in $node exited with status $rc"
  return $rc
}

cyg_status() { cyg_ctl "$1" status --json; }
cyg_stats() { cyg_ctl "$1" stats --json; }

# True when connection NAME of NODE has an established IKE SA with a child SA named CHILD.
cyg_has_sa() {
  local node=$1 name=${2:-peer} child=${3:-net}
  cyg_status "$node" | it_json "any(sa.get('state') == 'established' and any(ch.get('name') == '$child' for ch in sa.get('child_sas', [])) for c in d.get('connections', []) if c.get('name') == '$name' for sa in c.get('ike_sas', []))"
}
cyg_has_no_sa() {
  local node=$1 name=${2:-peer}
  cyg_status "$node" | it_json "not any(c.get('ike_sas') for c in d.get('connections', []) if c.get('name') == '$name')"
}
cyg_wait_sa() {
  local node=$1 timeout=${2:-15} name=${3:-peer} child=${4:-net}
  it_wait_for "$timeout" "Cygnet SA $name/$child in $node" cyg_has_sa "$node" "$name" "$child"
}
# Sum of a child SA counter over every child SA of NODE: cyg_child_counter NODE inbound|outbound packets|bytes
cyg_child_counter() {
  cyg_status "$1" | it_json "sum(ch.get('$2', {}).get('$3', 0) for c in d.get('connections', []) for sa in c.get('ike_sas', []) for ch in sa.get('child_sas', []))"
}
cyg_stat() {  # cyg_stat NODE ike child_sas_rekeyed
  cyg_stats "$1" | it_json "d['$2']['$3']"
}

# --- generic peer helpers (strongswan or cygnet by IT_KIND) ----------------------------------

peer_has_sa() { if [ "${IT_KIND[$1]}" = cygnet ]; then cyg_has_sa "$@"; else ss_has_sa "$@"; fi; }
peer_has_no_sa() { if [ "${IT_KIND[$1]}" = cygnet ]; then cyg_has_no_sa "$@"; else ss_has_no_sa "$@"; fi; }
peer_wait_sa() {
  local node=$1 timeout=${2:-15}
  it_wait_for "$timeout" "${IT_KIND[$node]} SA in $node" peer_has_sa "$node"
}
peer_wait_no_sa() {
  local node=$1 timeout=${2:-10}
  it_wait_for "$timeout" "${IT_KIND[$node]} in $node to drop its SA" peer_has_no_sa "$node"
}

# --- traffic ----------------------------------------------------------------------------------

# tr_ping FROM TO [COUNT] [INTERVAL] [family 4|6]: ping from FROM's protected address to TO's.
# Succeeds when at least MIN_REPLIES (env, default COUNT) replies came back.
tr_ping() {
  local from=$1 to=$2 count=${3:-3} interval=${4:-0.2} fam=${5:-4} src dst out got
  if [ "$fam" = 6 ]; then src=${IT_INNER6[$from]} dst=${IT_INNER6[$to]}; else src=${IT_INNER[$from]} dst=${IT_INNER[$to]}; fi
  out=$(timeout $((count + 10)) ip netns exec "${IT_NS[$from]}" ping -"$fam" -n -c "$count" -i "$interval" -W 2 -I "$src" "$dst" 2>&1)
  got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
  it_log "ping $src -> $dst: ${got:-0}/$count replies"
  [ "${got:-0}" -ge "${MIN_REPLIES:-$count}" ] || { echo "$out" >&2; return 1; }
}

# tr_iperf CLIENT SERVER [iperf3 client args...]: TCP from CLIENT's protected address to SERVER's,
# default 2 seconds. Sets TR_MBIT (received rate, Mbit/s) and logs it; fails when iperf3 fails or
# nothing arrived. Use -R for the reverse direction. Not in $(...) (it spawns the server).
tr_iperf() {
  local client=$1 server=$2
  shift 2
  local args=("$@") port=$((5201 + RANDOM % 1000)) dir=$IT_TMP/iperf.$RANDOM spid rc
  [ "${#args[@]}" -eq 0 ] && args=(-t 2)
  TR_MBIT=0
  mkdir -p "$dir"
  it_spawn "${IT_NS[$server]}" "$dir/server.log" timeout 60 iperf3 -s -1 -B "${IT_INNER[$server]}" -p "$port" --rcv-timeout 15000
  spid=$IT_LAST_PID
  it_wait_for 5 "iperf3 server" ip netns exec "${IT_NS[$server]}" sh -c "ss -ltn | grep -q ':$port '" || true
  # In the background + wait, so that a signal (watchdog, ^C) is handled at once, not after it.
  timeout 60 ip netns exec "${IT_NS[$client]}" iperf3 -c "${IT_INNER[$server]}" -B "${IT_INNER[$client]}" -p "$port" \
    --connect-timeout 5000 -J "${args[@]}" >"$dir/client.json" 2>"$dir/client.stderr" </dev/null &
  local cpid=$!
  it_track_pid "$cpid"
  wait "$cpid"
  rc=$?
  it_stop_pid "$spid" 3 >/dev/null 2>&1
  if [ "$rc" -ne 0 ]; then
    it_log "iperf3 ${IT_INNER[$client]} -> ${IT_INNER[$server]} (${args[*]}) failed (rc=$rc): $(it_json 'd.get("error", "")' <"$dir/client.json" 2>/dev/null)"
    return 1
  fi
  TR_MBIT=$(it_json 'round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 1) if d["end"]["sum_received"]["bytes"] > 0 else 0' <"$dir/client.json") || return 1
  it_log "iperf3 ${IT_INNER[$client]} -> ${IT_INNER[$server]} (${args[*]}): $TR_MBIT Mbit/s"
  [ "$TR_MBIT" != 0 ]
}
