#!/usr/bin/env bash
# interop.ops.remote-hostname: Cygnet <-> Cygnet where l names its peer by host name
# (remote_addrs = ["peer.example"]), resolved through a private /etc/hosts that only l's cygnetd
# sees (a mount namespace with the file bound over /etc/hosts). The tunnel comes up to the first
# address; then the hosts entry moves to r's second address, the first one disappears, and the next
# initiation (trap: the acquire of the next ping, after `down`) resolves again and follows it.
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=60
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
for tool in unshare mount; do command -v "$tool" >/dev/null 2>&1 || it_skip "$tool not installed"; done
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"

ns_create_pair
# Deleting 192.0.2.2 later must leave 192.0.2.3 (a secondary of the same subnet) in place.
ip netns exec "${IT_NS[r]}" sysctl -qw net.ipv4.conf.out0.promote_secondaries=1 || it_fail "promote_secondaries"
ip -n "${IT_NS[r]}" addr add 192.0.2.3/24 dev out0 || it_fail "second address on r"
hosts=$IT_TMP/hosts
printf '127.0.0.1 localhost\n192.0.2.2 peer.example\n' >"$hosts"

# cygnetd in NODE's namespace with HOSTS bound over /etc/hosts, in a mount namespace of its own.
cyg_start_with_hosts() {
  local node=$1 config=$2 file=$3
  # shellcheck disable=SC2016  # $0/$@ belong to the inner sh
  it_spawn "${IT_NS[$node]}" "${IT_DIR[$node]}/cygnetd.log" unshare -m --propagation private \
    sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$file" "$CYGNETD" --config "$config" --log-level debug
  IT_PID[$node]=$IT_LAST_PID
  IT_KIND[$node]=cygnet
  it_wait_for 10 "cygnetd control socket in $node" cyg_ctl "$node" status --json || it_fail "cygnetd in $node did not come up"
}

# The remote endpoint of l's IKE SA, e.g. "192.0.2.3[500]".
l_remote() {
  cyg_status l | it_json "[sa['remote'] for c in d['connections'] for sa in c.get('ike_sas', []) if sa.get('state') == 'established'][0]"
}

it_step "r answers on 192.0.2.2 and 192.0.2.3; l knows it only as peer.example"
cyg_start r "$(cyg_config r listen="192.0.2.2 192.0.2.3" local_addr="192.0.2.2 192.0.2.3" local_id=192.0.2.2)"
cyg_start_with_hosts l "$(cyg_config l remote_addr=peer.example remote_id=192.0.2.2 start_action=trap)" "$hosts"
cyg_status l | it_json "d['connections'][0]['remote_addrs'] == ['peer.example']" || it_fail "status does not show the host name"

it_step "first packet: resolve, tunnel to 192.0.2.2"
MIN_REPLIES=2 tr_ping l r 4 0.3 || it_fail "no tunnel to peer.example"
cyg_wait_sa l 10 || it_fail "no SA"
[ "$(l_remote)" = "192.0.2.2[500]" ] || it_fail "l's IKE SA goes to $(l_remote), not 192.0.2.2"
grep -q "peer: peer.example resolved to 192.0.2.2" "${IT_DIR[l]}/cygnetd.log" || it_fail "resolution not logged"

it_step "tunnel down; peer.example moves to 192.0.2.3; 192.0.2.2 goes away"
cyg_ctl l down peer >/dev/null || it_fail "down"
it_wait_for 10 "l without SA" cyg_has_no_sa l || it_fail "l kept its SA"
printf '127.0.0.1 localhost\n192.0.2.3 peer.example\n' >"$hosts"  # same inode: the bind mount sees it
ip -n "${IT_NS[r]}" addr del 192.0.2.2/24 dev out0

it_step "retry: the next packet resolves again and reaches 192.0.2.3"
MIN_REPLIES=2 tr_ping l r 5 0.3 || it_fail "no tunnel after the address change"
cyg_wait_sa l 10 || it_fail "no SA after the address change"
[ "$(l_remote)" = "192.0.2.3[500]" ] || it_fail "l's new IKE SA goes to $(l_remote), not 192.0.2.3"
grep -q "peer: peer.example resolved to 192.0.2.3" "${IT_DIR[l]}/cygnetd.log" || it_fail "re-resolution not logged"
it_log "PASS"
