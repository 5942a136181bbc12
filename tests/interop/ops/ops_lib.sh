# shellcheck shell=bash
# Set-up shared by ops scenarios (source it after ../strongswan/lib.sh and it_init):
#   ops_require NEED...            skip (exit 77) unless root and every NEED is there
#   ops_pair_* / ops_daemon_stat   a Cygnet <-> Cygnet pair with [daemon] switches (offload.sh, mmsg.sh)
#   ops_add_pools FILE             a Cygnet remote-access gateway's address pools (vip.sh, vip_client.sh)
# Not a scenario itself: only NAME.cmake files register tests.

# ops_require NEED...: cygnet (cygnetd and cygnetctl built), strongswan (charon and swanctl),
# or any command name (iperf3, dbus-daemon, ...).
ops_require() {
  local need
  [ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
  for need in "$@"; do
    case $need in
      cygnet) cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)" ;;
      strongswan)
        [ -x "$CHARON" ] || it_skip "strongSwan charon not installed ($CHARON)"
        command -v "$SWANCTL" >/dev/null 2>&1 || it_skip "swanctl not installed"
        ;;
      *) command -v "$need" >/dev/null 2>&1 || it_skip "$need not installed" ;;
    esac
  done
}

# --- a Cygnet <-> Cygnet pair (ns_create_pair), started by traffic ---------------------------

# Prints the path of NODE's configuration: ENCAP (auto|udp), OFFLOAD (true|false: false writes
# [daemon] offload = false), trap policies (the first packet starts the SA).
ops_pair_config() {
  local f
  f=$(cyg_config "$1" start_action=trap encapsulation="${2:-auto}")
  [ "${3:-true}" = false ] && sed -i '/^\[daemon\]/a offload = false' "$f"
  echo "$f"
}
# Starts r then l with ENCAP and OFFLOAD, pings through (which starts the SA), waits for l's SA.
ops_pair_start() {
  cyg_start r "$(ops_pair_config r "$1" "$2")"
  cyg_start l "$(ops_pair_config l "$1" "$2")"
  MIN_REPLIES=2 tr_ping l r 4 0.3 || it_fail "no tunnel"
  cyg_wait_sa l 10 || it_fail "no SA on l"
}
ops_pair_stop() {
  cyg_stop l || it_fail "l did not stop cleanly"
  cyg_stop r || it_fail "r did not stop cleanly"
}
# One counter of the daemon section of NODE's `cygnetctl stats --json`.
ops_daemon_stat() { cyg_stats "$1" | it_json "d['daemon']['$2']"; }

# --- a Cygnet remote-access gateway ---------------------------------------------------------

# The pools both remote-access scenarios hand out (documentation addresses).
OPS_POOL4=198.51.100.128/25
OPS_POOL6=2001:db8:ffff::/112
OPS_DNS4=198.51.100.53
OPS_DNS6=2001:db8:ffff::53
OPS_DOMAIN=corp.example

# Makes the connection of the cyg_config TOML FILE assign from pools rw4 (OPS_POOL4, DNS OPS_DNS4,
# search domain OPS_DOMAIN) and rw6 (OPS_POOL6, DNS OPS_DNS6), and checks that it loads.
ops_add_pools() {
  local f=$1
  sed -i 's|^auth = "psk"|auth = "psk"\npools = ["rw4", "rw6"]|' "$f"
  cat >>"$f" <<TOML

[pools.rw4]
addrs = "$OPS_POOL4"
dns = ["$OPS_DNS4"]
dns_domains = ["$OPS_DOMAIN"]

[pools.rw6]
addrs = "$OPS_POOL6"
dns = ["$OPS_DNS6"]
TOML
  "$CYGNETCTL" check "$f" >/dev/null || it_fail "generated gateway configuration does not load"
}
