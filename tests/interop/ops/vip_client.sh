#!/usr/bin/env bash
# interop.ops.vip_client: cygnetd (l) as a remote-access client. Its connection asks for one IPv4
# and one IPv6 virtual address (vips = ["0.0.0.0", "::"], PSK) and sends everything through the
# tunnel (remote_ts = 0.0.0.0/0, ::/0). Against each gateway in r, first strongSwan (swanctl pools
# with addrs, dns and INTERNAL_DNS_DOMAIN, attribute 25 of RFC 8598), then cygnetd with [pools]:
#   1. the TUN device holds the assigned addresses (/32, /128), table 199 routes 0.0.0.0/0 and ::/0
#      into it with those addresses as source, and IKE/ESP still reach the gateway (marked sockets);
#   2. a ping from l, without choosing a source, reaches r's protected addresses (the gateway only
#      accepts and answers the virtual address);
#   3. a stand-in systemd-resolved (mock_resolved.py on a private dbus-daemon that cygnetd reaches
#      through DBUS_SYSTEM_BUS_ADDRESS) recorded SetLinkDNS / SetLinkDomains (~corp.example) /
#      SetLinkDefaultRoute(false) for the TUN link with the gateway's values; `cygnetctl status`
#      shows the addresses and the applied DNS;
#   4. after `cygnetctl down` the addresses and routes are gone and RevertLink was called;
#      (Cygnet gateway) after cygnetd stops with the SA up, the same;
#   0. at start, an address and a route a crashed run left on a surviving TUN device are removed;
#   5. with nobody owning org.freedesktop.resolve1 the addresses still work and the DNS settings
#      are logged once as not applied (and said so in `cygnetctl status`).
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/ops_lib.sh"

IT_DEADLINE=220
it_init
ops_require cygnet strongswan dbus-daemon
"$IT_PYTHON" -c 'import dbus, gi.repository.GLib' 2>/dev/null || it_skip "python3-dbus / python3-gi not installed"

# The gateways' pools (ops_lib.sh; strongSwan's pools below use the same).
POOL4=$OPS_POOL4
POOL6=$OPS_POOL6
DNS4=$OPS_DNS4
DNS6=$OPS_DNS6
DOMAIN=$OPS_DOMAIN
ns_create_pair
ip -n "${IT_NS[l]}" addr flush dev prot0  # the client's only inner addresses are the virtual ones

it_step "a private system bus with a stand-in systemd-resolved in l"
bus_socket=$IT_TMP/system_bus.sock
calls=$IT_TMP/resolved_calls.jsonl
cat >"$IT_TMP/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=$bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
it_spawn "${IT_NS[l]}" "$IT_TMP/dbus-daemon.log" dbus-daemon --config-file="$IT_TMP/bus.conf" --nofork --nopidfile
it_wait_for 5 "the private bus" test -S "$bus_socket" || it_fail "dbus-daemon did not come up"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$bus_socket  # cygnetd's sd_bus_open_system() goes here
it_spawn "${IT_NS[l]}" "$IT_TMP/mock_resolved.log" "$IT_PYTHON" "$IT_LIB_DIR/../ops/mock_resolved.py" \
  "$DBUS_SYSTEM_BUS_ADDRESS" "$calls" "$IT_TMP/resolved.ready"
resolved_pid=$IT_LAST_PID
it_wait_for 10 "the stand-in resolved" test -s "$IT_TMP/resolved.ready" || it_fail "mock_resolved.py did not come up"

it_step "l: cygnetd as the client"
client_conf=${IT_DIR[l]}/cygnetd.toml
TUN="cyg$(($$ % 100000))l"
cat >"$client_conf" <<EOF
[daemon]
listen = ["192.0.2.1"]
control_socket = "$(cyg_socket l)"
tun = "$TUN"
log_level = "debug"
workers = 2

[connections.office]
local_addrs = ["192.0.2.1"]
remote_addrs = ["192.0.2.2"]
local_id = "alice@example.com"
remote_id = "192.0.2.2"
auth = "psk"
psk = "cygnet-interop-test-secret-0123456789abcdef"
vips = ["0.0.0.0", "::"]
ike_proposals = ["aes256gcm16-prfsha256-x25519"]
start_action = "none"

[[connections.office.children]]
name = "net"
remote_ts = ["0.0.0.0/0", "::/0"]
esp_proposals = ["aes256gcm16"]
EOF
"$CYGNETCTL" check "$client_conf" >/dev/null || it_fail "the client configuration does not load"
# What a crashed run could leave if its TUN device survived (here: made persistent beforehand): an
# address on it and a route of table 199 into it. cygnetd must clear both when it starts. With
# workers = 2 cygnetd opens its TUN device multi-queue, and the kernel refuses (EINVAL) to attach
# a multi-queue opener to a single-queue device: the device a crashed run leaves is multi-queue.
ip -n "${IT_NS[l]}" tuntap add mode tun multi_queue name "$TUN" || it_fail "cannot create a persistent $TUN"
ip -n "${IT_NS[l]}" link set "$TUN" up
ip -n "${IT_NS[l]}" addr add 198.51.100.200/32 dev "$TUN"
# (IPv6: removing a link's last IPv4 address makes the kernel drop its IPv4 routes by itself.)
ip -n "${IT_NS[l]}" -6 route add 2001:db8:2::/64 dev "$TUN" table 199
cyg_start l "$client_conf"
tun_index=$(ip netns exec "${IT_NS[l]}" cat "/sys/class/net/$TUN/ifindex") || it_fail "no TUN device $TUN"
grep -q "leftover address 198.51.100.200/32 removed" "${IT_DIR[l]}/cygnetd.log" || it_fail "the leftover address was not removed"
grep -q "leftover route 2001:db8:2::/64 removed" "${IT_DIR[l]}/cygnetd.log" || it_fail "the leftover route was not removed"

# The addresses (ADDRESS/LENGTH) of the TUN device that are not link-local, sorted, one line.
tun_addresses() {
  ip -n "${IT_NS[l]}" -j addr show dev "$TUN" | "$IT_PYTHON" -c '
import json, sys
print(" ".join(sorted(a["local"] + "/" + str(a["prefixlen"]) for i in json.load(sys.stdin)
                      for a in i.get("addr_info", []) if not a["local"].startswith("fe80:"))))'
}
table_routes() { ip -n "${IT_NS[l]}" -4 route show table 199; ip -n "${IT_NS[l]}" -6 route show table 199; }
no_client_state() { [ -z "$(tun_addresses)" ] && [ -z "$(table_routes)" ]; }
# The JSON of the last recorded call of METHOD to the stand-in resolved ("null" when none).
last_call() {
  "$IT_PYTHON" -c '
import json, os, sys
calls = [json.loads(l) for l in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
print(json.dumps(([c for c in calls if c["method"] == sys.argv[2]] or [None])[-1]))' "$calls" "$1"
}
# The one address of the space-separated list ADDRESSES inside PREFIX.
address_in() {
  "$IT_PYTHON" -c '
import ipaddress, sys
print([a for a in sys.argv[1].split() if ipaddress.ip_address(a) in ipaddress.ip_network(sys.argv[2])][0])' "$1" "$2"
}

# Everything a connected client must show; the addresses must come from the gateway's pools.
check_connected() {
  local gateway=$1 vips vip4 vip6
  vips=$(cyg_status l | it_json "' '.join(sorted(a for c in d['client']['connections'] for a in c['addresses']))") ||
    it_fail "$gateway: cygnetctl status has no client section"
  vip4=$(address_in "$vips" "$POOL4") || it_fail "$gateway: no IPv4 virtual address from $POOL4 ($vips)"
  vip6=$(address_in "$vips" "$POOL6") || it_fail "$gateway: no IPv6 virtual address from $POOL6 ($vips)"
  it_log "$gateway assigned $vip4 and $vip6"
  local expected
  expected=$(printf '%s\n' "$vip4/32" "$vip6/128" | sort | paste -sd' ')
  [ "$(tun_addresses)" = "$expected" ] || it_fail "$gateway: $TUN holds '$(tun_addresses)', not '$expected'"
  ip -n "${IT_NS[l]}" -4 route show table 199 | grep -q "^default dev $TUN .*src $vip4" ||
    { table_routes >&2; it_fail "$gateway: no 0.0.0.0/0 route into $TUN from $vip4 in table 199"; }
  ip -n "${IT_NS[l]}" -6 route show table 199 | grep -q "^default dev $TUN .*src $vip6" ||
    { table_routes >&2; it_fail "$gateway: no ::/0 route into $TUN from $vip6 in table 199"; }
  ip -n "${IT_NS[l]}" route get 203.0.113.1 | grep -q "dev $TUN .*src $vip4" ||
    it_fail "$gateway: the host's own traffic does not leave through $TUN from $vip4"
  # cygnetd's own (marked) sockets skip table 199: IKE and ESP to the gateway never loop into the TUN.
  ip -n "${IT_NS[l]}" route get 192.0.2.2 mark 0xc7 | grep -q "dev out0" ||
    it_fail "$gateway: marked traffic to the gateway does not leave through out0"
  # The engine narrowed the CHILD SA's local selectors to the virtual addresses.
  cyg_status l | it_json "sorted(t for c in d['connections'] for sa in c['ike_sas'] for ch in sa['child_sas'] for t in ch['local_ts']) == sorted(['$vip4/32', '$vip6/128'])" ||
    it_fail "$gateway: the CHILD SA's local selectors are not the virtual addresses"

  ip netns exec "${IT_NS[l]}" timeout 10 ping -c 3 -i 0.2 -W 2 203.0.113.1 >/dev/null ||
    it_fail "$gateway: no IPv4 ping from l to 203.0.113.1 through the tunnel"
  ip netns exec "${IT_NS[l]}" timeout 10 ping -6 -c 3 -i 0.2 -W 2 2001:db8:2::1 >/dev/null ||
    it_fail "$gateway: no IPv6 ping from l to 2001:db8:2::1 through the tunnel"
  [ "$(cyg_child_counter l inbound packets)" -ge 6 ] || it_fail "$gateway: the answers did not come through the CHILD SA"

  last_call SetLinkDNS | it_json "d['ifindex'] == $tun_index and sorted(d['args']) == sorted(['$DNS4', '$DNS6'])" ||
    it_fail "$gateway: SetLinkDNS not called with $DNS4, $DNS6 on link $tun_index: $(last_call SetLinkDNS)"
  last_call SetLinkDomains | it_json "d['ifindex'] == $tun_index and d['args'] == [['$DOMAIN', True]]" ||
    it_fail "$gateway: SetLinkDomains not called with ~$DOMAIN: $(last_call SetLinkDomains)"
  last_call SetLinkDefaultRoute | it_json "d['ifindex'] == $tun_index and d['args'] is False" ||
    it_fail "$gateway: SetLinkDefaultRoute(false) not called: $(last_call SetLinkDefaultRoute)"
  cyg_status l | it_json "d['client']['dns']['state'] == 'applied through systemd-resolved' and d['client']['dns']['domains'] == ['~$DOMAIN']" ||
    it_fail "$gateway: cygnetctl status does not show the applied DNS"
  cyg_ctl l status | grep -q "virtual IPs on $TUN" || it_fail "$gateway: cygnetctl status (text) lacks the virtual IPs"
}

check_undone() {
  local gateway=$1
  it_wait_for 10 "addresses and routes to go" no_client_state ||
    { table_routes >&2; it_fail "$gateway: left behind: addresses '$(tun_addresses)' / routes above"; }
  last_call RevertLink | it_json "d['ifindex'] == $tun_index" || it_fail "$gateway: RevertLink not called for link $tun_index"
  cyg_status l | it_json "d['client']['connections'] == [] and d['client']['dns']['state'] == 'none'" ||
    it_fail "$gateway: cygnetctl status still shows a client assignment"
}

it_step "1. strongSwan as the gateway (pools with DNS and a split DNS domain)"
ss_write_strongswan_conf r
ss_start r
gw_conf=$(ss_swanctl_conf r remote_addr=%any local_id=192.0.2.2 remote_id=alice@example.com \
  local_ts=0.0.0.0/0,::/0 remote_ts=dynamic extra_conn="pools = rw4, rw6")
cat >>"$gw_conf" <<EOF
pools {
  rw4 {
    addrs = $POOL4
    dns = $DNS4
    25 = $DOMAIN
  }
  rw6 {
    addrs = $POOL6
    dns = $DNS6
  }
}
EOF
ss_load r "$gw_conf"
no_client_state || it_fail "the client has addresses or routes before connecting"
cyg_ctl l up office >/dev/null || it_fail "cygnetctl up office"
cyg_wait_sa l 15 office net || it_fail "no SA with strongSwan"
check_connected strongSwan
cyg_ctl l down office >/dev/null || it_fail "cygnetctl down office"
it_wait_for 10 "the SA to go" cyg_has_no_sa l office || it_fail "the SA stayed after down"
check_undone strongSwan
ss_stop r

it_step "2. Cygnet as the gateway (pools)"
: >"$calls"
gw=$(cyg_config r remote_addr=%any remote_id=%any local_ts="0.0.0.0/0 ::/0" remote_ts=-)
ops_add_pools "$gw"
cyg_start r "$gw"
cyg_ctl l up office >/dev/null || it_fail "cygnetctl up office"
cyg_wait_sa l 15 office net || it_fail "no SA with the Cygnet gateway"
check_connected Cygnet
cyg_ctl l down office >/dev/null || it_fail "cygnetctl down office"
it_wait_for 10 "the SA to go" cyg_has_no_sa l office || it_fail "the SA stayed after down"
check_undone Cygnet

it_step "3. cygnetd stops while connected: everything undone on the way out"
: >"$calls"
cyg_ctl l up office >/dev/null || it_fail "cygnetctl up office"
cyg_wait_sa l 15 office net || it_fail "no SA with the Cygnet gateway (again)"
[ -n "$(tun_addresses)" ] || it_fail "no addresses after reconnecting"
cyg_stop l || it_fail "cygnetd did not stop cleanly"
[ -z "$(table_routes)" ] || { table_routes >&2; it_fail "routes left in table 199 after cygnetd stopped"; }
[ -z "$(tun_addresses)" ] || it_fail "addresses left on the (persistent) $TUN after cygnetd stopped: $(tun_addresses)"
last_call RevertLink | it_json "d['ifindex'] == $tun_index" || it_fail "RevertLink not called when cygnetd stopped"

it_step "4. no systemd-resolved on the bus: addresses still applied, DNS logged once as not applied"
it_stop_pid "$resolved_pid" 5 || true
cyg_start l "$client_conf"
cyg_ctl l up office >/dev/null || it_fail "cygnetctl up office"
cyg_wait_sa l 15 office net || it_fail "no SA without resolved"
tun_index=$(ip netns exec "${IT_NS[l]}" cat "/sys/class/net/$TUN/ifindex") || it_fail "no TUN device $TUN"
[ -n "$(tun_addresses)" ] || it_fail "no addresses without resolved"
[ "$(grep -c "DNS received but not applied to $TUN: servers .*$DNS4.*~$DOMAIN.*systemd-resolved is not running" "${IT_DIR[l]}/cygnetd.log")" -eq 1 ] ||
  it_fail "the DNS settings that could not be applied were not logged exactly once"
cyg_status l | it_json "d['client']['dns']['state'].startswith('not applied: systemd-resolved is not running')" ||
  it_fail "cygnetctl status does not say the DNS settings were not applied"
cyg_ctl l down office >/dev/null || it_fail "cygnetctl down office"
it_wait_for 10 "addresses and routes to go" no_client_state || it_fail "left behind without resolved"

it_log "PASS"
