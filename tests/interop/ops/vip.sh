#!/usr/bin/env bash
# interop.ops.vip: strongSwan (l) dials into a Cygnet gateway (r) as a road warrior, asking for one
# IPv4 and one IPv6 virtual address (swanctl `vips = 0.0.0.0,::`, PSK). r answers from its pools
# ([pools.rw4] 198.51.100.128/25, [pools.rw6] 2001:db8:ffff::/112, DNS servers and a domain):
#   1. charon gets 198.51.100.129 and 2001:db8:ffff::1 and the DNS attributes (its log), and
#      pings r's protected network from each virtual address;
#   2. after a disconnect the lease is offline (`cygnetctl leases`) and a reconnect gets the same
#      addresses;
#   3. cygnetd restarts (leases.json in a temporary state_dir) and the client still gets them back.
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/ops_lib.sh"

IT_DEADLINE=200
it_init
ops_require cygnet strongswan

VIP4=198.51.100.129
VIP6=2001:db8:ffff::1
ns_create_pair
# l's own protected address stays out of the pool's range.
ip -n "${IT_NS[l]}" addr flush dev prot0
ip -n "${IT_NS[l]}" addr add 198.51.100.1/25 dev prot0

it_step "r: Cygnet gateway with two pools; l: strongSwan client asking for 0.0.0.0 and ::"
state=$IT_TMP/state
conf=$(cyg_config r remote_addr=%any remote_id=%any local_ts="203.0.113.0/24 2001:db8:2::/64" remote_ts=-)
sed -i "s|^log_level = .*|&\nstate_dir = \"$state\"|" "$conf"
ops_add_pools "$conf"
cyg_start r "$conf"

ss_write_strongswan_conf l
# charon puts the assigned addresses on an interface, so that its route through ipsec0 has them as source.
sed -i 's/install_virtual_ip = no/install_virtual_ip = yes/' "${IT_DIR[l]}/strongswan.conf"
ss_start l
ss_load l "$(ss_swanctl_conf l local_id=alice@example.com remote_id=192.0.2.2 local_ts=dynamic \
  remote_ts=203.0.113.0/24,2001:db8:2::/64 extra_conn="vips = 0.0.0.0,::")"

connect() {
  ss_initiate l net || it_fail "strongSwan could not connect"
  ss_wait_sa l 15 || it_fail "no SA on l"
  cyg_wait_sa r 15 || it_fail "no SA on r"
}

check_addresses() {
  local sas
  sas=$(ss_ctl l --list-sas) || it_fail "swanctl --list-sas"
  grep -q "$VIP4" <<<"$sas" || { echo "$sas" >&2; it_fail "strongSwan did not get $VIP4"; }
  grep -q "$VIP6" <<<"$sas" || { echo "$sas" >&2; it_fail "strongSwan did not get $VIP6"; }
  cyg_status r | it_json "sorted(a for c in d['connections'] for sa in c['ike_sas'] for a in sa['remote_virtual_ips']) == sorted(['$VIP4', '$VIP6'])" ||
    it_fail "cygnetctl status does not show the client's virtual IPs"
}

ping_from_vips() {
  ip netns exec "${IT_NS[l]}" timeout 10 ping -c 3 -i 0.2 -W 2 -I "$VIP4" 203.0.113.1 >/dev/null ||
    it_fail "no IPv4 ping from $VIP4 through the tunnel"
  ip netns exec "${IT_NS[l]}" timeout 10 ping -6 -c 3 -i 0.2 -W 2 -I "$VIP6" 2001:db8:2::1 >/dev/null ||
    it_fail "no IPv6 ping from $VIP6 through the tunnel"
}

lease_state() {  # lease_state ADDRESS -> online|offline (empty when absent)
  cyg_ctl r leases --json | it_json "([l['state'] for l in d['leases'] if l['address'] == '$1'] + [''])[0]"
}

it_step "1. connect: addresses, DNS, traffic"
connect
check_addresses
grep -E "parsed IKE_AUTH response .*CPRP\(.*DNS" "${IT_DIR[l]}/charon.log" >/dev/null ||
  it_fail "charon's log shows no CFG_REPLY with DNS servers"
grep -q "installing new virtual IP $VIP4" "${IT_DIR[l]}/charon.log" || it_fail "charon did not install $VIP4"
ping_from_vips
[ "$(lease_state "$VIP4")" = online ] || it_fail "lease of $VIP4 not online"
cyg_ctl r leases | grep -q "alice@example.com" || it_fail "cygnetctl leases does not name the identity"

it_step "2. disconnect and reconnect: same addresses"
ss_ctl l --terminate --ike peer --timeout 10 >/dev/null 2>&1 || true
it_wait_for 10 "r to drop the SA" cyg_has_no_sa r || it_fail "r kept the SA"
[ "$(lease_state "$VIP4")" = offline ] || it_fail "lease of $VIP4 not offline after the disconnect"
connect
check_addresses
ping_from_vips

it_step "3. cygnetd restarts with its leases: same addresses again"
ss_ctl l --terminate --ike peer --timeout 10 >/dev/null 2>&1 || true
it_wait_for 10 "r to drop the SA" cyg_has_no_sa r || it_fail "r kept the SA"
cyg_stop r || it_fail "cygnetd did not stop cleanly"
[ -s "$state/leases.json" ] || it_fail "no $state/leases.json"
grep -q "$VIP6" "$state/leases.json" || it_fail "leases.json lacks $VIP6"
cyg_start r "$conf"
[ "$(lease_state "$VIP4")" = offline ] || it_fail "lease of $VIP4 not restored"
connect
check_addresses
ping_from_vips

it_log "PASS"
