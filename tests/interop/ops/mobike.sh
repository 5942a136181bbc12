#!/usr/bin/env bash
# interop.ops.mobike: strongSwan (l, mobike = yes, local_addrs = %any) dials into a Cygnet gateway
# (r, `mobike` on by default). While a ping runs through the tunnel, l's outer address changes:
# 192.0.2.10 is added to its link and 192.0.2.1 removed. charon notices through netlink and sends
# UPDATE_SA_ADDRESSES from 192.0.2.10; Cygnet moves the IKE SA and, after the return routability
# check (COOKIE2), its CHILD SA there. Checked:
#   1. `cygnetctl status` shows the client at 192.0.2.10 with the same IKE SPIs and one IKE SA
#      established in all (no new one); cygnetd moved the CHILD SA (same SPIs) to the new address
#      (charon then rekeys its CHILD SA: kernel-libipsec cannot update an SA's addresses);
#   2. the ping run keeps going after the move (replies from after it), and a new ping passes;
#   3. the monitor stream / log shows the MOBIKE update, charon's log shows its UPDATE_SA_ADDRESSES;
#   4. the client moves back to 192.0.2.1 (an address IKE_AUTH authenticated: ESP follows at once).
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=150
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
[ -x "$CHARON" ] || it_skip "strongSwan charon not installed ($CHARON)"
command -v "$SWANCTL" >/dev/null 2>&1 || it_skip "swanctl not installed"

NEW=192.0.2.10
ns_create_pair
# Deleting a primary address takes the secondaries of its subnet with it unless they are promoted.
ip netns exec "${IT_NS[l]}" sysctl -qw net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.out0.promote_secondaries=1

it_step "r: Cygnet gateway for %any; l: strongSwan with mobike = yes from any local address"
conf=$(cyg_config r remote_addr=%any remote_id=%any)
"$CYGNETCTL" check "$conf" >/dev/null || it_fail "generated gateway configuration does not load"
cyg_start r "$conf"
ss_write_strongswan_conf l
ss_start l
ss_load l "$(ss_swanctl_conf l local_addr=%any local_id=roamer@example.com remote_id=192.0.2.2 mobike=yes)"
ss_initiate l net || it_fail "strongSwan could not connect"
ss_wait_sa l 15 || it_fail "no SA on l"
cyg_wait_sa r 15 || it_fail "no SA on r"

sa_field() {  # sa_field EXPR: a Python expression over the one IKE SA `sa` of r
  cyg_status r | it_json "[$1 for c in d['connections'] for sa in c['ike_sas']][0]"
}
spis_before=$(sa_field "sa['initiator_spi'] + '_' + sa['responder_spi']")
child_before=$(sa_field "sa['child_sas'][0]['inbound_spi'] + '_' + sa['child_sas'][0]['outbound_spi']")
[ "$(sa_field "sa['remote'].split('[')[0]")" = 192.0.2.1 ] || it_fail "client not at 192.0.2.1 before the move"
[ "$(sa_field "str(sa['mobike'])")" = True ] || it_fail "cygnetctl status does not show MOBIKE agreed"
established_before=$(cyg_stat r ike ike_sas_established)
it_log "IKE SPIs $spis_before, CHILD SPIs $child_before"

it_step "1. during a ping run, l moves from 192.0.2.1 to $NEW"
ip netns exec "${IT_NS[l]}" timeout 30 ping -c 60 -i 0.25 -W 1 -I 198.51.100.1 203.0.113.1 \
  >"$IT_TMP/ping-run.log" 2>&1 &
ping_pid=$!
it_track_pid "$ping_pid"
sleep 3
ip -n "${IT_NS[l]}" addr add "$NEW/24" dev out0
ip -n "${IT_NS[l]}" addr del 192.0.2.1/24 dev out0
moved() { [ "$(sa_field "sa['remote'].split('[')[0]")" = "$NEW" ]; }
it_wait_for 20 "r to follow the client to $NEW" moved || it_fail "Cygnet did not follow the client"
wait "$ping_pid"
ping_rc=$?
received=$(grep -oE '[0-9]+ received' "$IT_TMP/ping-run.log" | grep -oE '^[0-9]+')
it_log "ping run: ${received:-0} of 60 replies (rc $ping_rc)"
cat "$IT_TMP/ping-run.log" >&2

it_step "2. the same IKE SA and CHILD SA, traffic continues"
[ "$(sa_field "sa['initiator_spi'] + '_' + sa['responder_spi']")" = "$spis_before" ] ||
  it_fail "the IKE SA's SPIs changed"
# Cygnet moved the CHILD SA it had (same SPIs) once the return routability check passed...
grep -qE "CHILD SA #[0-9]+ moved \(MOBIKE\): 192.0.2.2 <-> $NEW" "${IT_DIR[r]}/cygnetd.log" ||
  it_fail "cygnetd did not move the CHILD SA to $NEW"
# ...but charon then rekeys it: kernel-libipsec cannot change an installed SA's addresses, so
# charon replaces the CHILD SA instead of updating it. A rekey, not a new CHILD SA from scratch.
[ "$(cyg_stat r ike child_sas_established)" = 1 ] || it_fail "a CHILD SA was negotiated from scratch"
[ "$(cyg_stat r ike ike_sas_established)" = "$established_before" ] || it_fail "a new IKE SA was established"
# The last replies of the run came after the move (the run lasts ~15 s; the move was at ~3 s).
last_seq=$(grep -oE 'icmp_seq=[0-9]+' "$IT_TMP/ping-run.log" | tail -1 | grep -oE '[0-9]+$')
[ "${last_seq:-0}" -ge 50 ] || it_fail "no replies late in the ping run (last icmp_seq ${last_seq:-none})"
[ "${received:-0}" -ge 40 ] || it_fail "only ${received:-0} of 60 pings answered across the move"
ip netns exec "${IT_NS[l]}" timeout 10 ping -c 3 -i 0.2 -W 2 -I 198.51.100.1 203.0.113.1 >/dev/null ||
  it_fail "no ping through the tunnel after the move"
child_packets=$(cyg_child_counter r inbound packets)
it_log "r: $child_packets packets in on the CHILD SA"

it_step "3. both ends logged the update"
grep -q "UPDATE_SA_ADDRESSES\|N(UPD_SA_ADDR)" "${IT_DIR[l]}/charon.log" || it_fail "charon's log shows no UPDATE_SA_ADDRESSES"
grep -q "MOBIKE update" "${IT_DIR[r]}/cygnetd.log" || it_fail "cygnetd's log shows no MOBIKE update"

it_step "4. back to 192.0.2.1"
ip -n "${IT_NS[l]}" addr add 192.0.2.1/24 dev out0
ip -n "${IT_NS[l]}" addr del "$NEW/24" dev out0
back() { [ "$(sa_field "sa['remote'].split('[')[0]")" = 192.0.2.1 ]; }
it_wait_for 20 "r to follow the client back" back || it_fail "Cygnet did not follow the client back"
ip netns exec "${IT_NS[l]}" timeout 10 ping -c 3 -i 0.2 -W 2 -I 198.51.100.1 203.0.113.1 >/dev/null ||
  it_fail "no ping through the tunnel after moving back"
[ "$(sa_field "sa['initiator_spi'] + '_' + sa['responder_spi']")" = "$spis_before" ] ||
  it_fail "the IKE SA's SPIs changed on the way back"

it_log "PASS"
