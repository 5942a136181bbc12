# shellcheck shell=bash
# Shared by bench/tunnel, bench/tunnel-perf and bench/tunnel-syscalls: a Cygnet <-> Cygnet tunnel
# (aes256gcm16) in the namespaces of tests/interop/strongswan/lib.sh, with the [daemon] settings
# the benchmarks vary. Source after lib.sh, inside a run that called it_init and ns_create_pair.

# The daemons log at info: debug lines would cost time in the measured path.
: "${CYG_LOG_LEVEL:=info}"

# Prints the path of NODE's cygnetd TOML: WORKERS ("" = the daemon's default, one per core),
# OFFLOAD (true|false) and cyg_config's key=value arguments. A replay window of 4096: with several
# workers one SA's packets leave from several threads, somewhat out of order (docs/architecture.md).
bench_cygnet_config() {
  local node=$1 workers=$2 offload=$3 f
  shift 3
  f=$(cyg_config "$node" log_level=info replay_window=4096 "$@")
  [ -n "$workers" ] && sed -i "/^\[daemon\]/a workers = $workers" "$f"
  [ "$offload" = false ] && sed -i '/^\[daemon\]/a offload = false' "$f"
  echo "$f"
}

# Starts cygnetd in r, then in l (which initiates), and waits for the CHILD SA on both.
# bench_cygnet_up ENCAP (auto|udp) WORKERS [OFFLOAD]
bench_cygnet_up() {
  local encap=$1 workers=$2 offload=${3:-true}
  cyg_start r "$(bench_cygnet_config r "$workers" "$offload" encapsulation="$encap")"
  cyg_start l "$(bench_cygnet_config l "$workers" "$offload" encapsulation="$encap" start_action=start)"
  cyg_wait_sa l 15 || it_fail "no Cygnet SA"
  cyg_wait_sa r 15 || it_fail "no Cygnet SA (responder)"
}
