#!/usr/bin/env bash
# interop.ops.unique: a second login under one identity, and reauthentication (issue 14).
# Namespaces: l (192.0.2.1) and m (2001:db8:3::1) are two strongSwan clients of user
# alice@example.com; r is the gateway (192.0.2.2 towards l, 2001:db8:3::2 towards m).
#   1. cygnetd on r with unique = "replace": l connects, then m; l's IKE SA is deleted by the
#      gateway (charon on l shows none), r keeps only m's, counts unique_replaced = 1.
#   2. unique = "keep": l connects, m is refused (AUTHENTICATION_FAILED), l stays, unique_refused = 1.
#   3. l reauthenticates (strongSwan reauth_time = 20s, make_before_break) while pinging through
#      the tunnel: a new IKE SA on r, l's old one gone, no ping lost ("keep" lets a client at the
#      old SA's address in: that is a reauthentication).
#   4. the roles swapped: cygnetd on l (reauth_time = "20s") against charon on r as the gateway,
#      pinging: cygnetd counts a reauthentication, charon ends with one IKE SA, no ping lost.
source "$(dirname "${BASH_SOURCE[0]}")/../strongswan/lib.sh"

IT_DEADLINE=220
it_init
[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespaces)"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
[ -x "$CHARON" ] || it_skip "strongSwan charon not installed ($CHARON)"
command -v "$SWANCTL" >/dev/null 2>&1 || it_skip "swanctl not installed"

ns_create_pair
ns_add m
ip -n "${IT_NS[m]}" link add out0 type veth peer name out1 netns "${IT_NS[r]}" || it_fail "veth m-r"
ip -n "${IT_NS[m]}" addr add 2001:db8:3::1/64 dev out0 nodad
ip -n "${IT_NS[r]}" addr add 2001:db8:3::2/64 dev out1 nodad
ip -n "${IT_NS[m]}" link set out0 up
ip -n "${IT_NS[r]}" link set out1 up
it_wait_for 5 "m-r link" ip netns exec "${IT_NS[m]}" ping -6 -c1 -W1 2001:db8:3::2 || it_fail "m-r link"

gateway_conf() {  # gateway_conf UNIQUE -> path of r's cygnetd.toml
  local conf
  conf=$(cyg_config r listen="192.0.2.2 2001:db8:3::2" local_addr="192.0.2.2 2001:db8:3::2" \
    remote_addr=%any remote_id=%any local_id=gw.example.com \
    local_ts="203.0.113.0/24 2001:db8:2::/64" remote_ts=-)
  sed -i "s|^auth = \"psk\"|auth = \"psk\"\nunique = \"$1\"|" "$conf"
  "$CYGNETCTL" check "$conf" >/dev/null || it_fail "generated gateway configuration does not load"
  echo "$conf"
}
client_conf() {  # client_conf NODE [extra ss_swanctl_conf args]
  local node=$1
  shift
  if [ "$node" = l ]; then
    ss_swanctl_conf l local_id=alice@example.com remote_id=gw.example.com local_ts=dynamic \
      remote_ts=203.0.113.0/24 "$@"
  else
    ss_swanctl_conf m local_addr=2001:db8:3::1 remote_addr=2001:db8:3::2 local_id=alice@example.com \
      remote_id=gw.example.com local_ts=dynamic remote_ts=2001:db8:2::/64 "$@"
  fi
}
ike_sas_on_r() { cyg_status r | it_json "sum(len(c['ike_sas']) for c in d['connections'])"; }
r_remote() { cyg_status r | it_json "[sa['remote'] for c in d['connections'] for sa in c['ike_sas']]"; }

SS_EXTRA_CHARON="  make_before_break = yes"
ss_write_strongswan_conf l
ss_write_strongswan_conf m
ss_start l
ss_start m
ss_load l "$(client_conf l)"
ss_load m "$(client_conf m)"

it_step "1. unique = replace: m's login replaces l's"
cyg_start r "$(gateway_conf replace)"
ss_initiate l net || it_fail "l could not connect"
cyg_wait_sa r 15 || it_fail "no SA on r for l"
ss_initiate m net || it_fail "m could not connect"
it_wait_for 15 "l's IKE SA deleted by the gateway" ss_has_no_sa l || it_fail "l still has its IKE SA"
ss_has_sa m || it_fail "m lost its SA"
[ "$(ike_sas_on_r)" = 1 ] || it_fail "r has $(ike_sas_on_r) IKE SAs, not 1: $(r_remote)"
r_remote | grep -q "2001:db8:3::1" || it_fail "r's IKE SA is not m's: $(r_remote)"
[ "$(cyg_stat r ike unique_replaced)" = 1 ] || it_fail "unique_replaced is $(cyg_stat r ike unique_replaced)"
grep -q "duplicate-ike-sa" "${IT_DIR[r]}/cygnetd.log" || it_fail "no duplicate-ike-sa line in cygnetd's log"
ss_ctl m --terminate --ike peer --timeout 10 >/dev/null 2>&1 || true
cyg_stop r || it_fail "cygnetd did not stop cleanly"

it_step "2. unique = keep: m is refused while l is up"
cyg_start r "$(gateway_conf keep)"
ss_initiate l net || it_fail "l could not connect"
cyg_wait_sa r 15 || it_fail "no SA on r for l"
if ss_initiate m net; then it_fail "m connected although l is up and unique = keep"; fi
grep -q "AUTHENTICATION_FAILED\|AUTH_FAILED" "${IT_DIR[m]}/charon.log" || it_fail "m's charon did not see AUTHENTICATION_FAILED"
ss_has_sa l || it_fail "l lost its SA"
[ "$(ike_sas_on_r)" = 1 ] || it_fail "r has $(ike_sas_on_r) IKE SAs, not 1"
[ "$(cyg_stat r ike unique_refused)" = 1 ] || it_fail "unique_refused is $(cyg_stat r ike unique_refused)"

it_step "3. l (strongSwan) reauthenticates every 20 s, make-before-break, pinging through the tunnel"
ss_ctl l --terminate --ike peer --timeout 10 >/dev/null 2>&1 || true
it_wait_for 10 "r to drop l's SA" cyg_has_no_sa r || it_fail "r kept l's SA after the terminate"
ss_load l "$(client_conf l ike_rekey=0 extra_conn="reauth_time = 20s
    over_time = 30s
    rand_time = 0")"
ss_initiate l net || it_fail "l could not connect"
cyg_wait_sa r 15 || it_fail "no SA on r"
established0=$(cyg_stat r ike ike_sas_established)
ip netns exec "${IT_NS[l]}" timeout 60 ping -c 200 -i 0.2 -W 1 -I 192.0.2.1 203.0.113.1 >"$IT_TMP/ping3.log" 2>&1 &
ping_pid=$!
it_track_pid "$ping_pid"
wait "$ping_pid"
received=$(grep -oE '[0-9]+ received' "$IT_TMP/ping3.log" | grep -oE '^[0-9]+')
established=$(cyg_stat r ike ike_sas_established)
it_log "ping: ${received:-0} of 200 replies; IKE SAs established on r: $established0 -> $established"
[ "$((established - established0))" -ge 1 ] || it_fail "l did not reauthenticate (no new IKE SA on r)"
grep -q "reauthenticating\|reauth" "${IT_DIR[l]}/charon.log" || it_fail "charon's log shows no reauthentication"
[ "$(ike_sas_on_r)" = 1 ] || it_fail "r has $(ike_sas_on_r) IKE SAs after the reauthentications"
[ "${received:-0}" -ge 198 ] || { cat "$IT_TMP/ping3.log" >&2; it_fail "only ${received:-0} of 200 pings across the reauthentications"; }
cyg_stop r || it_fail "cygnetd did not stop cleanly"
ss_stop l
ss_stop m

it_step "4. cygnetd on l reauthenticates against charon on r (reauth_time = 20s), pinging"
# Protected subnets on both sides: a selector holding l's outer address (192.0.2.1/32) would make
# charon's kernel policy on r conflict with the IKE traffic itself ("can't install route").
conf=$(cyg_config l local_id=alice@example.com remote_id=gw.example.com local_ts="${IT_PROT_NET[l]}" \
  remote_ts="${IT_PROT_NET[r]}" start_action=start)
sed -i "s|^auth = \"psk\"|auth = \"psk\"\nreauth_time = \"20s\"|" "$conf"
"$CYGNETCTL" check "$conf" >/dev/null || it_fail "generated client configuration does not load"
ss_write_strongswan_conf r
ss_start r
ss_load r "$(ss_swanctl_conf r local_id=gw.example.com remote_id=alice@example.com remote_addr=%any \
  local_ts="${IT_PROT_NET[r]}" remote_ts="${IT_PROT_NET[l]}")"
cyg_start l "$conf"
cyg_wait_sa l 20 || it_fail "cygnetd on l did not connect"
ip netns exec "${IT_NS[l]}" timeout 60 ping -c 200 -i 0.2 -W 1 -I "${IT_INNER[l]}" "${IT_INNER[r]}" >"$IT_TMP/ping4.log" 2>&1 &
ping_pid=$!
it_track_pid "$ping_pid"
wait "$ping_pid"
received=$(grep -oE '[0-9]+ received' "$IT_TMP/ping4.log" | grep -oE '^[0-9]+')
reauths=$(cyg_stat l ike ike_sas_reauthenticated)
it_log "ping: ${received:-0} of 200 replies; reauthentications by cygnetd: $reauths"
[ "${reauths:-0}" -ge 1 ] || it_fail "cygnetd did not reauthenticate"
ss_sas_json r | it_json "len([sa for sa in d if sa.get('state') == 'ESTABLISHED']) == 1" ||
  it_fail "charon on r does not end with exactly one IKE SA"
[ "${received:-0}" -ge 198 ] || { cat "$IT_TMP/ping4.log" >&2; it_fail "only ${received:-0} of 200 pings across the reauthentications"; }

it_log "PASS"
