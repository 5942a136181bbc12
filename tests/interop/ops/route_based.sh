#!/usr/bin/env bash
# interop.ops.route-based: route-based connections (`interface = ...`) with BGP through them.
#
#   [ l ] out1 192.0.2.1/24 ======== path 1 ======== out1 192.0.2.2/24 [ r ]
#         out2 198.51.100.1/24 ===== path 2 ======== out2 198.51.100.2/24
#         tunnel 1: rb1 169.254.21.1/30 <-> rb1 169.254.21.2/30   (CHILD SA 0.0.0.0/0)
#         tunnel 2: rb2 169.254.22.1/30 <-> rb2 169.254.22.2/30
#         LAN prot0 203.0.113.1/25                  LAN prot0 203.0.113.129/25
#
# BIRD in each namespace peers over BGP across both tunnels' inside /30s and announces its LAN;
# nothing but BGP tells l where 203.0.113.128/25 is. Then the outer path of the tunnel carrying the
# traffic is cut (nftables drops it on l): DPD gives up, the CHILD SA goes, the interface loses its
# carrier, BIRD's `check link` shuts the session, the route is withdrawn and the pings continue
# through the other tunnel. The failover time is from the cut to the first reply after it.
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=220
it_init
it_require ip nft bird birdc ping
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"

DPD_DELAY=1s           # liveness check after 1 s without inbound traffic
RETRANSMIT_TIMEOUT_MS=500
RETRANSMIT_TRIES=2     # gives up 0.5 + 0.9 + 1.6 s after the check: ~3 s
BGP_HOLD=30            # longer than DPD: the carrier, not the hold timer, ends the session

declare -A LAN=([l]=203.0.113.1/25 [r]=203.0.113.129/25)
declare -A AS=([l]=64512 [r]=64513)

ns_add l
ns_add r
for path in 1 2; do
  ip -n "${IT_NS[l]}" link add "out$path" type veth peer name "out$path" netns "${IT_NS[r]}" || it_fail "veth $path"
done
ip -n "${IT_NS[l]}" addr add 192.0.2.1/24 dev out1
ip -n "${IT_NS[r]}" addr add 192.0.2.2/24 dev out1
ip -n "${IT_NS[l]}" addr add 198.51.100.1/24 dev out2
ip -n "${IT_NS[r]}" addr add 198.51.100.2/24 dev out2
for node in l r; do
  for path in 1 2; do ip -n "${IT_NS[$node]}" link set "out$path" up; done
  ns_add_protected "$node" "${LAN[$node]}"
  ip netns exec "${IT_NS[$node]}" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
it_wait_for 5 "path 1" ip netns exec "${IT_NS[l]}" ping -c1 -W1 192.0.2.2 || it_fail "path 1 does not pass traffic"
it_wait_for 5 "path 2" ip netns exec "${IT_NS[l]}" ping -c1 -W1 198.51.100.2 || it_fail "path 2 does not pass traffic"

# cygnetd configuration of NODE: two route-based connections, one per outer path.
write_cygnet_config() {
  local node=$1 me=$2 f=${IT_DIR[$1]}/cygnetd.toml
  local -A local_outer remote_outer
  if [ "$me" = 1 ]; then
    local_outer=([1]=192.0.2.1 [2]=198.51.100.1) remote_outer=([1]=192.0.2.2 [2]=198.51.100.2)
  else
    local_outer=([1]=192.0.2.2 [2]=198.51.100.2) remote_outer=([1]=192.0.2.1 [2]=198.51.100.1)
  fi
  {
    cat <<CONF
[daemon]
listen = ["${local_outer[1]}", "${local_outer[2]}"]
control_socket = "$(cyg_socket "$node")"
tun = "cyg$(($$ % 100000))$node"
log_level = "debug"
retransmit_timeout_ms = $RETRANSMIT_TIMEOUT_MS
retransmit_tries = $RETRANSMIT_TRIES
CONF
    for path in 1 2; do
      cat <<CONF

[connections.tunnel$path]
local_addrs = ["${local_outer[$path]}"]
remote_addrs = ["${remote_outer[$path]}"]
local_id = "${local_outer[$path]}"
remote_id = "${remote_outer[$path]}"
auth = "psk"
psk = "cygnet-route-based-test-secret-$path-0123456789"
start_action = "$([ "$me" = 1 ] && echo start || echo none)"
dpd_delay = "$DPD_DELAY"
interface = "rb$path"
interface_addrs = ["169.254.2$path.$me/30"]
mtu = 1400

[[connections.tunnel$path.children]]
name = "any"
local_ts = ["0.0.0.0/0"]
remote_ts = ["0.0.0.0/0"]
CONF
    done
  } >"$f"
  echo "$f"
}

# BIRD of NODE: BGP to the peer's inside address of both tunnels, the LAN announced, BGP routes
# into the kernel's main table.
start_bird() {
  local node=$1 me=$2 peer=$((3 - $2)) f=${IT_DIR[$1]}/bird.conf
  local peer_node; [ "$node" = l ] && peer_node=r || peer_node=l
  {
    cat <<CONF
router id 10.255.255.$me;
log "${IT_DIR[$node]}/bird.log" all;
protocol device { scan time 10; }
protocol direct { ipv4; interface "prot0"; }
protocol kernel {
  ipv4 { import none; export where source = RTS_BGP; };
  merge paths off;
}
CONF
    for path in 1 2; do
      cat <<CONF
protocol bgp tunnel$path {
  local 169.254.2$path.$me as ${AS[$node]};
  neighbor 169.254.2$path.$peer as ${AS[$peer_node]};
  direct;
  check link yes;
  hold time $BGP_HOLD;
  keepalive time 3;
  connect retry time 2;
  error wait time 1, 5;
  ipv4 { import all; export where source = RTS_DEVICE; };
}
CONF
    done
  } >"$f"
  it_spawn "${IT_NS[$node]}" "${IT_DIR[$node]}/bird.out" bird -f -c "$f" -s "${IT_DIR[$node]}/bird.ctl" \
    -P "${IT_DIR[$node]}/bird.pid"
  it_wait_for 10 "BIRD in $node" birdc -s "${IT_DIR[$node]}/bird.ctl" show status || it_fail "BIRD did not start in $node"
}
bird_ctl() { timeout 5 birdc -s "${IT_DIR[$1]}/bird.ctl" "${@:2}"; }
bgp_established() { bird_ctl "$1" show protocols "$2" | grep -q Established; }

# The interface l routes r's LAN through now (rb1, rb2 or nothing).
route_dev() {
  ip -n "${IT_NS[l]}" -4 route get 203.0.113.129 from 203.0.113.1 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p'
}
interface_state() {  # NODE CONNECTION: the status' interface state (up/down)
  cyg_status "$1" | it_json "[c['interface']['state'] for c in d['connections'] if c['name'] == '$2'][0]"
}

it_step "two gateways, two route-based tunnels each"
cyg_start r "$(write_cygnet_config r 2)"
cyg_start l "$(write_cygnet_config l 1)"
for path in 1 2; do
  ip -n "${IT_NS[l]}" link show "rb$path" >/dev/null || it_fail "l has no interface rb$path"
done
it_wait_for 20 "both tunnels up on l" sh -c "
  [ \"\$(ip netns exec ${IT_NS[l]} cat /sys/class/net/rb1/carrier)\" = 1 ] &&
  [ \"\$(ip netns exec ${IT_NS[l]} cat /sys/class/net/rb2/carrier)\" = 1 ]" || it_fail "carriers did not come up"
cyg_ctl l status
[ "$(interface_state l tunnel1)" = up ] || it_fail "status does not show tunnel1's interface up"
ip -n "${IT_NS[l]}" route show table 199 2>/dev/null | grep -q . && it_fail "route-based connections put routes into table 199"

it_step "inside addresses answer through each tunnel"
for path in 1 2; do
  ip netns exec "${IT_NS[l]}" ping -c2 -i0.2 -W1 "169.254.2$path.2" >/dev/null || it_fail "no ping through tunnel $path"
done

it_step "BGP over both tunnels; r's LAN learned"
start_bird r 2
start_bird l 1
for path in 1 2; do
  it_wait_for 30 "BGP session tunnel$path" bgp_established l "tunnel$path" || it_fail "BGP over tunnel $path not established"
done
it_wait_for 10 "route to r's LAN" sh -c "ip -n ${IT_NS[l]} route show 203.0.113.128/25 | grep -q bird" ||
  it_fail "r's LAN was not learned"
ip -n "${IT_NS[l]}" route show 203.0.113.128/25
ip netns exec "${IT_NS[l]}" ping -c3 -i0.2 -W1 -I 203.0.113.1 203.0.113.129 >/dev/null || it_fail "r's LAN not reachable"
active=$(route_dev)
case "$active" in rb1) cut_path=1 other=rb2 ;; rb2) cut_path=2 other=rb1 ;; *) it_fail "traffic goes to '$active'" ;; esac
it_log "r's LAN is reached through $active (tunnel $cut_path)"

it_step "cut outer path $cut_path; measure until the pings get through again"
pinglog=$IT_TMP/ping.log
it_spawn "${IT_NS[l]}" "$pinglog" ping -D -n -i 0.1 -W 1 -I 203.0.113.1 203.0.113.129
ping_pid=$IT_LAST_PID
sleep 1
ip netns exec "${IT_NS[l]}" nft -f - <<NFT || it_fail "nft"
table inet cut {
  chain input { type filter hook input priority 0; iifname "out$cut_path" drop; }
  chain output { type filter hook output priority 0; oifname "out$cut_path" drop; }
}
NFT
cut_at=$(date +%s.%N)
it_wait_for 30 "carrier down on rb$cut_path" sh -c "[ \"\$(ip netns exec ${IT_NS[l]} cat /sys/class/net/rb$cut_path/carrier)\" = 0 ]" ||
  it_fail "rb$cut_path kept its carrier"
carrier_down_at=$(date +%s.%N)
it_wait_for 20 "route through $other" sh -c "ip -n ${IT_NS[l]} -4 route get 203.0.113.129 from 203.0.113.1 | grep -q 'dev $other'" ||
  it_fail "the route did not move to $other"
route_moved_at=$(date +%s.%N)
it_wait_for 20 "pings through $other" sh -c "awk -v t=$route_moved_at '/bytes from/ { gsub(/[\\[\\]]/, \"\", \$1); if (\$1 > t) found = 1 } END { exit !found }' $pinglog" ||
  it_fail "no replies after the failover"
kill -INT "$ping_pid" 2>/dev/null
wait "$ping_pid" 2>/dev/null

[ "$(interface_state l "tunnel$cut_path")" = down ] || it_fail "status does not show tunnel$cut_path's interface down"
bgp_established l "tunnel$cut_path" && it_fail "BGP over the cut tunnel still established"
bgp_established l "tunnel$((3 - cut_path))" || it_fail "BGP over the other tunnel went down"

# Last reply before the cut and first reply after it (ping -D timestamps).
read -r last_before first_after < <(awk -v t="$cut_at" '/bytes from/ {
    gsub(/[\[\]]/, "", $1)
    if ($1 <= t) before = $1
    else if (!after) after = $1
  } END { print before, after }' "$pinglog")
[ -n "$first_after" ] || it_fail "no reply after the cut"
failover=$(awk -v a="$cut_at" -v b="$first_after" 'BEGIN { printf "%.1f", b - a }')
carrier=$(awk -v a="$cut_at" -v b="$carrier_down_at" 'BEGIN { printf "%.1f", b - a }')
it_log "carrier down ${carrier} s after the cut; first reply through $other ${failover} s after the cut (last reply before: $last_before)"
echo "FAILOVER_SECONDS=$failover CARRIER_DOWN_SECONDS=$carrier DPD_DELAY=$DPD_DELAY RETRANSMIT=${RETRANSMIT_TIMEOUT_MS}msx$RETRANSMIT_TRIES BGP_HOLD=$BGP_HOLD"
it_log "PASS"
