#!/usr/bin/env bash
# Live-tunnel interoperability scenarios: Cygnet <-> strongSwan (charon + kernel-libipsec), Cygnet
# <-> Cygnet, and strongSwan <-> strongSwan (the harness's own baseline). Each runs in fresh network
# namespaces (lib.sh) and cleans up after itself; nothing is left running even on failure.
#
#   run_scenario.sh SCENARIO     run one (exit 0 pass, 1 fail, 77 skipped: not root, tool missing,
#                                cygnetd/cygnetctl not built)
#   run_scenario.sh --list       the scenario names (CMakeLists.txt registers each as a ctest test)
#
# Cygnet runs in namespace l (outer 192.0.2.1, protected 198.51.100.0/24), the peer in r (192.0.2.2,
# 203.0.113.0/24). Binaries: $CYGNETD / $CYGNETCTL (default build/src/daemon/cygnetd and
# build/src/cli/cygnetctl). IT_KEEP=1 keeps the temp dir (configs, logs); CYG_LOG_LEVEL sets
# cygnetd's --log-level (default debug). Logs are printed when a scenario fails. For diagnosis
# (IKEv1 scenarios): IT_PCAP=1 captures l's outer link to l-out0.pcapng, SS_LOG_ENC=2 makes charon
# log every payload it parses and generates.
#
# Cygnet <-> strongSwan, each as <base>-cygnet-initiator (Cygnet starts the IKE SA) and
# <base>-cygnet-responder (strongSwan starts it):
#   psk-aes256gcm16-x25519      IKE aes256gcm16-prfsha256-x25519, ESP aes256gcm16; ping + iperf3 both
#                               ways (initiator side: start_action = "start")
#   psk-chacha20poly1305        IKE chacha20poly1305-prfsha256-x25519, ESP chacha20poly1305
#   psk-aes128-sha256-ecp256    IKE aes128-sha256-ecp256, ESP aes128-sha256-ecp256 (PFS group only
#                               used by rekeys; ignored in IKE_AUTH)
#   psk-encap-auto              Cygnet encapsulation = "auto": it must see the "NAT" that
#                               kernel-libipsec fakes and UDP-encapsulate by itself
#   cert-ecdsa                  certificates from an ECDSA P-256 CA, FQDN identities
#   cert-rsa                    certificates from an RSA-2048 CA, IP address identities
#   rekey-by-cygnet             short Cygnet lifetimes: CHILD and IKE rekeys during a 7 s transfer
#   rekey-by-strongswan         short strongSwan lifetimes: the same, strongSwan rekeying
#   delete-by-cygnet            `cygnetctl down`, both sides lose the SA
#   delete-by-strongswan        `swanctl --terminate`, both sides lose the SA
#   trap                        Cygnet has start_action = "trap". initiator: the first ping starts
#                               the SA. responder: strongSwan initiates first (libipsec cannot
#                               trap), the trapped Cygnet answers and uses that one SA
# Every Cygnet <-> strongSwan scenario also checks: no cleartext ICMP/TCP on the outer link, ESP
# only as UDP/4500 (libipsec), Cygnet's child SA counters moved, and that stopping cygnetd
# (SIGTERM, exit status 0) deletes the SA on strongSwan's side.
#
# Cygnet <-> Cygnet: cygnet-cygnet-tunnel (encapsulation = "udp"), cygnet-cygnet-raw-esp
# (encapsulation = "auto", no NAT: protocol 50 on the wire, no UDP/4500), cygnet-cygnet-ikev1-transport and
# cygnet-cygnet-ikev1-ah-transport (IKEv1 Quick Mode, host to host, raw ESP with PFS / AH), cygnet-cygnet-transport
# (ESP transport mode host to host), cygnet-cygnet-ah (AH tunnel), cygnet-cygnet-ah-transport,
# cygnet-cygnet-ipv6 (IKE and raw ESP over IPv6 outer addresses, IPv6 subnets inside).
#
# The daemon itself: cygnetd-reload (`cygnetctl reload` and SIGHUP: an unchanged connection keeps
# its SAs, an added one appears, a changed one is replaced, a broken file changes nothing),
# cygnetd-control-socket (mode 0600, bad and oversized requests answered with an error, no secret
# in any answer, cygnetctl's exit codes; bad-input catalog row 16), cygnet-nat (Cygnet behind a
# masquerading router: NAT detected, UDP 4500, ESP in UDP, NAT keepalives).
#
# IKEv1 (Cygnet ike_version = 1, strongSwan version = 1; RFC 2409 Main/Aggressive/Quick Mode, RFC
# 3947/3948 NAT-T, RFC 3706 DPD). IKE aes256-sha256-modp2048, ESP aes256-sha256 unless noted; every
# one checks that both ends report an IKEv1 SA (Cygnet status "version": 1 and its "mode", charon's
# log names the phase-1 exchange). As <base>-cygnet-initiator and <base>-cygnet-responder:
#   ikev1-main-psk              Main Mode PSK, Quick Mode without PFS; ping + iperf3 both ways
#                               (initiator: start_action = "start"; the other initiators `up`)
#   ikev1-encap-auto            the same with Cygnet encapsulation = "auto": it must see the "NAT"
#                               that kernel-libipsec fakes with its NAT-D hashes (others: "udp")
#   ikev1-main-cert-rsa         Main Mode, RSA signatures, certificates from an RSA-2048 CA
#   ikev1-main-cert-ecdsa       Main Mode, ECDSA P-256 signatures, FQDN identities
#   ikev1-aggressive-psk        Aggressive Mode PSK (Cygnet aggressive = true, strongSwan aggressive
#                               = yes and i_dont_care_about_security_and_use_aggressive_mode_psk)
#   ikev1-quick-pfs             ESP aes128-sha256-ecp256: Quick Mode with PFS (KE payloads), checked
#                               in strongSwan's CHILD SA (dh-group ECP_256)
#   ikev1-rekey-by-cygnet       Cygnet child lifetime 10s: a Quick Mode rekey during a 12 s
#                               transfer; strongSwan must take it as a rekey ("detected rekeying")
#   ikev1-rekey-by-strongswan   strongSwan rekey_time 5s, life_time 10s: rekeys during 12 s
# Single role:
#   ikev1-aggressive-refused    strongSwan initiates Aggressive Mode to a Cygnet connection without
#                               aggressive = true: no SA anywhere, swanctl --initiate fails, cygnetd
#                               logs the refusal ("Aggressive Mode")
#   ikev1-nat                   Cygnet (encapsulation = "auto") behind the masquerading router of
#                               cygnet-nat initiates: NAT detected, 4500, ESP in UDP, keepalives
#   ikev1-dpd                   dpd_delay 3s on both ends; after the tunnel is up r drops all on its
#                               outer link; Cygnet must log "peer-dead" and drop its SAs within 58 s
#                               (before that, 8 s idle: both answer each other's R-U-THERE)
# IKEv1 rekeys are checked by Cygnet's child_sas_rekeyed or a new inbound SPI, strongSwan's CHILD
# unique id, at most 2 CHILD SAs left in Cygnet, and traffic after the rekeys.
#
# strongSwan <-> strongSwan (harness baseline, no Cygnet needed): strongswan-baseline (PSK
# aes256gcm16-prfsha256-x25519, ping + iperf3 both ways), strongswan-baseline-rekey (CHILD and
# IKE rekeys during a 7 s transfer), and strongswan-baseline-<ikev1 scenario> for every IKEv1
# scenario above (but ikev1-encap-auto): r runs exactly the strongSwan configuration of the Cygnet
# scenario, l a strongSwan standing in for Cygnet; two-role scenarios initiate from l, then from r.
# They prove the peer's half of each IKEv1 scenario independently of Cygnet.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

CS_BASES=(
  psk-aes256gcm16-x25519 psk-chacha20poly1305 psk-aes128-sha256-ecp256 psk-encap-auto
  cert-ecdsa cert-rsa rekey-by-cygnet rekey-by-strongswan delete-by-cygnet delete-by-strongswan trap
)
CC_SCENARIOS=(cygnet-cygnet-tunnel cygnet-cygnet-raw-esp cygnet-cygnet-transport cygnet-cygnet-ah cygnet-cygnet-ah-transport
  cygnet-cygnet-ipv6 cygnet-cygnet-ikev1-transport cygnet-cygnet-ikev1-ah-transport)
DAEMON_SCENARIOS=(cygnetd-reload cygnetd-control-socket cygnet-nat)
SS_SCENARIOS=(strongswan-baseline strongswan-baseline-rekey)
# IKEv1: bases run in both roles, single-role scenarios, and a strongSwan <-> strongSwan baseline
# (strongswan-baseline-<name>) for each, with the same strongSwan configuration.
V1_BASES=(ikev1-main-psk ikev1-encap-auto ikev1-main-cert-rsa ikev1-main-cert-ecdsa ikev1-aggressive-psk ikev1-quick-pfs
  ikev1-rekey-by-cygnet ikev1-rekey-by-strongswan)
V1_SCENARIOS=(ikev1-aggressive-refused ikev1-nat ikev1-dpd)

list_scenarios() {
  local b
  for b in "${CS_BASES[@]}"; do
    echo "$b-cygnet-initiator"
    echo "$b-cygnet-responder"
  done
  for b in "${V1_BASES[@]}"; do
    echo "$b-cygnet-initiator"
    echo "$b-cygnet-responder"
  done
  printf '%s\n' "${V1_SCENARIOS[@]}"
  printf '%s\n' "${CC_SCENARIOS[@]}" "${DAEMON_SCENARIOS[@]}" "${SS_SCENARIOS[@]}"
  # (ikev1-encap-auto has no baseline: its strongSwan half is the one of ikev1-main-psk)
  for b in "${V1_BASES[@]}" "${V1_SCENARIOS[@]}"; do [ "$b" = ikev1-encap-auto ] || echo "strongswan-baseline-$b"; done
}

# check DESCRIPTION cmd... : runs cmd, logs ok or fails the scenario.
check() {
  local what=$1
  shift
  if "$@" >>"$IT_TMP/check.out"; then it_log "ok: $what"; else it_fail "$what"; fi
}
ge() { [ "${1:-0}" -ge "$2" ]; }  # ge VALUE MIN (empty VALUE = 0)
eq() { [ "${1:-0}" -eq "$2" ]; }

# The outer link of NODE carried no cleartext ICMP echo/TCP and ESP only the way expected:
# wire_check NODE udp|esp|ah. Other ICMP (errors) is reported, and fails only with IT_STRICT_ICMP=1:
# with raw ESP/AH the kernel answers "protocol unreachable" for every packet that overflows the
# receiver's raw socket (/proc/net/raw drops), a load symptom rather than a protocol error.
wire_check() {
  local node=$1 want=$2 esp ah udp icmp tcp err
  esp=$(nft_counter "$node" esp) ah=$(nft_counter "$node" ah) udp=$(nft_counter "$node" udp4500)
  icmp=$(nft_counter "$node" clear_icmp) tcp=$(nft_counter "$node" clear_tcp) err=$(nft_counter "$node" icmp_error)
  it_log "outer packets on $node/out0: esp=$esp ah=$ah udp4500=$udp cleartext icmp-echo=$icmp tcp=$tcp; icmp errors=$err"
  local n
  for n in l r; do
    [ "${IT_KIND[$n]:-}" = cygnet ] && it_log "socket receive-queue drops in $n (Cygnet): $(socket_drops "$n")"
  done
  check "no cleartext ICMP echo or TCP on the outer link" eq "$((${icmp:-0} + ${tcp:-0}))" 0
  if [ "${err:-0}" -ne 0 ]; then
    it_log "WARNING: $err ICMP error(s) on the outer link (raw socket overflow sends protocol unreachable; see drops above)"
    [ -n "${IT_STRICT_ICMP:-}" ] && it_fail "ICMP errors on the outer link"
  fi
  case $want in
    udp) check "ESP travels in UDP/4500, never as raw protocol 50" eval 'ge "$udp" 10 && eq "$esp" 0 && eq "$ah" 0' ;;
    esp) check "raw ESP (protocol 50) on the wire, no UDP/4500" eval 'ge "$esp" 10 && eq "$udp" 0 && eq "$ah" 0' ;;
    ah) check "AH (protocol 51) on the wire, no ESP" eval 'ge "$ah" 10 && eq "$esp" 0 && eq "$udp" 0' ;;
  esac
}

# Cygnet's child SAs in NODE carried traffic both ways (at least MIN bytes each, default 1000;
# three pings each way are 504 bytes).
cyg_counters_check() {
  local node=$1 min=${2:-1000} in out
  in=$(cyg_child_counter "$node" inbound bytes) out=$(cyg_child_counter "$node" outbound bytes)
  it_log "Cygnet ($node) child SA bytes: inbound=$in outbound=$out"
  check "Cygnet's child SA counted inbound and outbound traffic (>= $min bytes each)" eval 'ge "$in" "$min" && ge "$out" "$min"'
}

traffic_full() {  # ping both ways, iperf3 both ways (client l; -R = r sends)
  check "ping l -> r through the tunnel" tr_ping l r 3 0.2
  check "ping r -> l through the tunnel" tr_ping r l 3 0.2
  check "iperf3 TCP l -> r" tr_iperf l r -t 2
  check "iperf3 TCP r -> l" tr_iperf l r -t 2 -R
}

# --- Cygnet <-> strongSwan ----------------------------------------------------------------

run_cs() {
  local base=$1 role=$2
  it_require ip ping iperf3 nft timeout ss "$CHARON" "$SWANCTL"
  cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
  it_init
  it_step "scenario $base, Cygnet as IKE $role; temp dir $IT_TMP"
  ns_create_pair
  nft_count_setup l

  local ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 traffic=full
  local -a cyg=(encapsulation=udp) ss=()
  local cyg_start_action=none ss_start_action=none
  case $base in
    psk-aes256gcm16-x25519)
      [ "$role" = initiator ] && cyg_start_action=start
      ;;
    psk-chacha20poly1305) ike=chacha20poly1305-prfsha256-x25519 esp=chacha20poly1305 ;;
    psk-aes128-sha256-ecp256) ike=aes128-sha256-ecp256 esp=aes128-sha256-ecp256 ;;
    psk-encap-auto) cyg=(encapsulation=auto) ;;
    cert-ecdsa | cert-rsa)
      local type=${base#cert-} pki=$IT_TMP/pki
      it_step "PKI: $type CA and host certificates"
      pki_ca "$pki" "$type"
      if [ "$type" = ecdsa ]; then
        pki_host "$pki" left "$type" DNS:left.example.com IP:192.0.2.1
        pki_host "$pki" right "$type" DNS:right.example.com IP:192.0.2.2
        cyg+=(local_id=left.example.com remote_id=right.example.com)
        ss+=(local_id=right.example.com remote_id=left.example.com)
      else
        pki_host "$pki" left "$type" IP:192.0.2.1 DNS:left.example.com
        pki_host "$pki" right "$type" IP:192.0.2.2 DNS:right.example.com
      fi
      cyg+=(auth=pubkey "cert=$pki/left.pem" "key=$pki/left.key" "cacert=$pki/ca.pem")
      # strongSwan's default send_cert = ifasked: it sends its certificate only after a CERTREQ,
      # so as initiator it needs one in Cygnet's IKE_SA_INIT response. SS_SEND_CERT=always
      # (diagnosis only) takes that out of the picture.
      ss+=(auth=pubkey "cert=$pki/right.pem" "key=$pki/right.key" "cacert=$pki/ca.pem" "send_cert=${SS_SEND_CERT:-ifasked}")
      ;;
    rekey-by-cygnet)
      cyg+=(lifetime=4s ike_lifetime=6s)  # rekeys at 90 % minus up to 10 %: ~3.2-3.6 s and ~4.8-5.4 s
      traffic=rekey
      ;;
    rekey-by-strongswan)
      ss+=(child_rekey=3s child_life=5s child_rand=1s ike_rekey=5s ike_over=2s ike_rand=1s)
      traffic=rekey
      ;;
    delete-by-cygnet | delete-by-strongswan) traffic=ping ;;
    trap)
      # Cygnet traps in both roles. kernel-libipsec cannot trap (libipsec drops packets that match
      # a policy without SA: "could not find an outbound IPsec SA for reqid {1}, dropping packet";
      # it never raises an acquire), so in the responder variant strongSwan initiates first and the
      # trapped Cygnet must answer and then use that SA, without negotiating a second one.
      cyg_start_action=trap
      [ "$role" = initiator ] && traffic=trap
      ;;
    *) it_fail "unknown scenario base $base" ;;
  esac

  ss_start r
  ss_load r "$(ss_swanctl_conf r ike_proposals="$ike" esp_proposals="$esp" start_action="$ss_start_action" "${ss[@]}")"
  cyg_start l "$(cyg_config l ike_proposals="$ike" esp_proposals="$esp" start_action="$cyg_start_action" "${cyg[@]}")"

  if [ "$traffic" = trap ]; then
    sleep 1
    check "no SA before the first packet (Cygnet)" cyg_has_no_sa l
    check "no SA before the first packet (strongSwan)" ss_has_no_sa r
    it_step "the first ping l -> r must start the SA"
    MIN_REPLIES=3 check "ping l -> r through a trapped connection (>= 3 of 5)" tr_ping l r 5 0.5
    check "Cygnet has the SA" cyg_wait_sa l 10
    check "strongSwan has the SA" ss_wait_sa r 10
    local acq
    acq=$(cyg_stat l daemon acquires)
    check "Cygnet counted the acquire (acquires=$acq)" ge "$acq" 1
    check "ping r -> l" tr_ping r l 3 0.2
    traffic=full
  else
    if [ "$role" = initiator ]; then
      if [ "$cyg_start_action" != start ]; then
        check "cygnetctl up peer" cyg_ctl l up peer
      fi
    else
      check "swanctl --initiate" ss_initiate r net
    fi
    check "Cygnet has the SA" cyg_wait_sa l 15
    check "strongSwan has the SA" ss_wait_sa r 15
    it_log "Cygnet: $(cyg_status l | it_json '[(sa["algorithms"], sa["local"], sa["remote"], sa.get("nat_detected"), [(c["algorithms"], c.get("udp_encapsulated")) for c in sa["child_sas"]]) for c in d["connections"] for sa in c["ike_sas"]]' 2>&1)"
  fi

  if [ "$base" = trap ] && [ "$role" = responder ]; then
    check "ping l -> r over strongSwan's SA" tr_ping l r 3 0.2
    local n
    n=$(cyg_status l | it_json 'sum(len(c["ike_sas"]) for c in d["connections"])')
    check "trapped Cygnet kept the one IKE SA strongSwan started (has $n)" eq "$n" 1
    n=$(ss_sas_json r | it_json 'len(d)')
    check "strongSwan has exactly one IKE SA (has $n)" eq "$n" 1
  fi

  case $traffic in
    full) traffic_full ;;
    ping)
      check "ping l -> r" tr_ping l r 3 0.2
      check "ping r -> l" tr_ping r l 3 0.2
      ;;
    rekey)
      local ids0 ids1
      ids0=$(ss_sa_ids r)
      it_step "7 s transfer across the rekeys (strongSwan IKE/CHILD unique ids before: $ids0)"
      check "iperf3 TCP l -> r across CHILD and IKE rekeys" tr_iperf l r -t 7
      # Rekeys go on after the transfer; in the middle of one an end has its old SA REKEYING and
      # the new one not yet up, so each state is judged once it has settled (bounded polls).
      check "strongSwan's IKE and CHILD SAs were replaced (unique ids $ids0 -> larger)" \
        it_wait_for 10 "strongSwan's unique ids to grow past $ids0" ss_ids_grew r "$ids0"
      ids1=$(ss_sa_ids r)
      local crk irk
      crk=$(cyg_stat l ike child_sas_rekeyed) irk=$(cyg_stat l ike ike_sas_rekeyed)
      it_log "Cygnet: child_sas_rekeyed=$crk ike_sas_rekeyed=$irk; strongSwan unique ids: $ids0 -> $ids1"
      check "Cygnet counted a CHILD rekey" ge "$crk" 1
      check "Cygnet counted an IKE rekey" ge "$irk" 1
      check "Cygnet still has the SA (settled)" cyg_wait_sa l 10
      check "strongSwan still has the SA (settled)" ss_wait_sa r 10
      check "ping l -> r after the rekeys" tr_ping l r 3 0.2
      check "iperf3 TCP r -> l after the rekeys" tr_iperf l r -t 1 -R
      ;;
  esac

  wire_check l udp
  if [ "$traffic" = ping ]; then cyg_counters_check l 400; else cyg_counters_check l; fi

  case $base in
    delete-by-cygnet)
      check "cygnetctl down peer" cyg_ctl l down peer
      check "Cygnet dropped the SA" peer_wait_no_sa l 10
      check "strongSwan dropped the SA" peer_wait_no_sa r 10
      check "no ping l -> r after the delete" eval '! MIN_REPLIES=1 tr_ping l r 2 0.2 2>/dev/null'
      ;;
    delete-by-strongswan)
      check "swanctl --terminate --ike peer" ss_ctl r --terminate --ike peer --timeout 10
      check "strongSwan dropped the SA" peer_wait_no_sa r 10
      check "Cygnet dropped the SA" peer_wait_no_sa l 10
      check "no ping l -> r after the delete" eval '! MIN_REPLIES=1 tr_ping l r 2 0.2 2>/dev/null'
      ;;
    *)
      it_step "stopping cygnetd: it must delete its SA at strongSwan and exit 0"
      check "cygnetd exited 0 on SIGTERM" cyg_stop l
      check "strongSwan dropped the SA after cygnetd stopped" peer_wait_no_sa r 10
      ;;
  esac
  if [ -n "${IT_PID[l]:-}" ]; then
    check "cygnetd exited 0 on SIGTERM" cyg_stop l
  fi
}

# --- Cygnet <-> Cygnet --------------------------------------------------------------------

run_cc() {
  local scenario=$1
  it_require ip ping iperf3 nft timeout ss
  cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
  it_init
  it_step "scenario $scenario; temp dir $IT_TMP"
  ns_create_pair
  nft_count_setup l
  local -a common=() left=() right=()
  local wire=udp
  case $scenario in
    cygnet-cygnet-tunnel) common=(encapsulation=udp) ;;
    cygnet-cygnet-raw-esp) common=(encapsulation=auto) wire=esp ;;
    cygnet-cygnet-transport) common=(mode=transport local_ts=- remote_ts=- encapsulation=auto) wire=esp ;;
    cygnet-cygnet-ah) common=(ah_proposals=sha256 encapsulation=auto) wire=ah ;;
    cygnet-cygnet-ah-transport) common=(mode=transport local_ts=- remote_ts=- ah_proposals=sha256 encapsulation=auto) wire=ah ;;
    # IKEv1 Quick Mode for what kernel-libipsec cannot do: transport mode, raw ESP, AH.
    cygnet-cygnet-ikev1-transport)
      common=(ike_version=1 ike_proposals=aes256-sha256-modp2048 esp_proposals=aes128-sha256-ecp256 mode=transport
        local_ts=- remote_ts=- encapsulation=auto) wire=esp ;;
    cygnet-cygnet-ikev1-ah-transport)
      common=(ike_version=1 ike_proposals=aes128-sha256-ecp256 mode=transport local_ts=- remote_ts=- ah_proposals=sha256
        encapsulation=auto) wire=ah ;;
    cygnet-cygnet-ipv6)
      common=(encapsulation=auto) wire=none
      left=(listen=2001:db8::1 local_addr=2001:db8::1 remote_addr=2001:db8::2 local_ts=2001:db8:1::/64 remote_ts=2001:db8:2::/64)
      right=(listen=2001:db8::2 local_addr=2001:db8::2 remote_addr=2001:db8::1 local_ts=2001:db8:2::/64 remote_ts=2001:db8:1::/64)
      ;;
    *) it_fail "unknown scenario $scenario" ;;
  esac
  if [[ $scenario == *transport ]]; then
    # Host to host: the traffic is between the outer addresses themselves.
    IT_INNER[l]=${IT_OUTER[l]} IT_INNER[r]=${IT_OUTER[r]}
  fi
  cyg_start r "$(cyg_config r "${common[@]}" "${right[@]}")"
  cyg_start l "$(cyg_config l "${common[@]}" "${left[@]}")"
  check "cygnetctl up peer" cyg_ctl l up peer
  check "left Cygnet has the SA" cyg_wait_sa l 15
  check "right Cygnet has the SA" cyg_wait_sa r 15
  it_log "left: $(cyg_status l | it_json '[(sa["algorithms"], sa.get("nat_detected"), [(c["protocol"], c["mode"], c["algorithms"], c.get("udp_encapsulated")) for c in sa["child_sas"]]) for c in d["connections"] for sa in c["ike_sas"]]' 2>&1)"
  if [ "$scenario" = cygnet-cygnet-ipv6 ]; then
    check "ping6 l -> r through the tunnel" tr_ping l r 3 0.2 6
    check "ping6 r -> l through the tunnel" tr_ping r l 3 0.2 6
    IT_INNER[l]=${IT_INNER6[l]} IT_INNER[r]=${IT_INNER6[r]}  # iperf3 over the IPv6 subnets
    check "iperf3 TCP l -> r over IPv6" tr_iperf l r -t 2
    check "IKE over IPv6, ESP not UDP-encapsulated" eq "$(cyg_status l | it_json \
      "int(all(sa['remote'].startswith('2001:db8::2') and not ch['udp_encapsulated'] for c in d['connections'] for sa in c['ike_sas'] for ch in sa['child_sas']))")" 1
  else
    traffic_full
    wire_check l "$wire"
  fi
  cyg_counters_check l
  cyg_counters_check r
  check "left cygnetd exited 0 on SIGTERM" cyg_stop l
  check "right Cygnet dropped the SA after the left one stopped" peer_wait_no_sa r 10
  check "right cygnetd exited 0 on SIGTERM" cyg_stop r
}

# --- NAT traversal: Cygnet behind a masquerading router ------------------------------------

# l (192.0.2.1) -- m (masquerades l as 192.0.2.65) -- r (192.0.2.66). l initiates; both sides
# detect the NAT (RFC 7296 §2.23), float to UDP 4500 and encapsulate ESP (RFC 3948); l sends NAT
# keepalives (every second here, --nat-keepalive 1; 20 s by default).
run_nat() {
  local scenario=$1
  it_require ip ping timeout nft
  cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
  it_init
  it_step "scenario $scenario; temp dir $IT_TMP"
  ns_create_trio 1
  CYG_EXTRA_ARGS="--nat-keepalive 1"
  # r sees l at the NAT's address but l still calls itself 192.0.2.1 (its IKE identity).
  cyg_start r "$(cyg_config r remote_addr=192.0.2.65 remote_id=192.0.2.1)"
  cyg_start l "$(cyg_config l start_action=start)"
  check "left Cygnet has the SA" cyg_wait_sa l 15
  check "right Cygnet has the SA" cyg_wait_sa r 15
  check "left detected the NAT, IKE floated to 4500, ESP in UDP" eq "$(cyg_status l | it_json \
    "int(all(sa['nat_detected'] and sa['local'].endswith('[4500]') and all(ch['udp_encapsulated'] for ch in sa['child_sas']) for c in d['connections'] for sa in c['ike_sas']))")" 1
  check "right sees the peer at the NAT's address" eq "$(cyg_status r | it_json \
    "int(any(sa['remote'].startswith('192.0.2.65[') for c in d['connections'] for sa in c['ike_sas']))")" 1
  check "ping l -> r through the NAT" tr_ping l r 3 0.2
  check "ping r -> l through the NAT" tr_ping r l 3 0.2
  check "iperf3 TCP l -> r through the NAT" tr_iperf l r -t 2
  sleep 2
  check "left sent NAT keepalives" ge "$(cyg_stat l daemon nat_keepalives_sent)" 1
  check "left cygnetd exited 0 on SIGTERM" cyg_stop l
  check "right Cygnet dropped the SA after the left one stopped" peer_wait_no_sa r 10
  check "right cygnetd exited 0 on SIGTERM" cyg_stop r
}

# --- the daemon: reload and the control socket --------------------------------------------

# Inbound SPI of NODE's child SA of connection NAME (empty when none).
cyg_spi() {
  cyg_status "$1" | it_json "next((ch['inbound_spi'] for c in d['connections'] if c['name'] == '${2:-peer}' for sa in c['ike_sas'] for ch in sa['child_sas']), '')"
}
# True when NODE's child SA exists with an inbound SPI other than OLD.
cyg_spi_changed() { local now; now=$(cyg_spi "$1"); [ -n "$now" ] && [ "$now" != "$2" ]; }

run_daemon() {
  local scenario=$1
  it_require ip ping timeout
  cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
  it_init
  it_step "scenario $scenario; temp dir $IT_TMP"
  ns_create_pair
  local cfg_l
  cyg_start r "$(cyg_config r encapsulation=auto)"
  cfg_l=$(cyg_config l encapsulation=auto start_action=start)
  cyg_start l "$cfg_l"
  check "left Cygnet has the SA" cyg_wait_sa l 15
  check "ping l -> r through the tunnel" tr_ping l r 2 0.2
  case $scenario in
    cygnetd-reload)
      local spi0 spi1 out
      spi0=$(cyg_spi l)
      # 1. An added connection; "peer" unchanged: its CHILD SA must be the very same.
      cat >>"$cfg_l" <<EOF

[connections.extra]
local_addrs = ["192.0.2.1"]
remote_addrs = ["192.0.2.3"]
auth = "psk"
psk = "another-secret-for-the-reload-test"
[[connections.extra.children]]
name = "net"
local_ts = ["198.51.100.0/24"]
remote_ts = ["203.0.113.128/25"]
EOF
      out=$(cyg_ctl l reload) || it_fail "cygnetctl reload failed: $out"
      it_log "reload: $(tr '\n' ' ' <<<"$out")"
      check "reload reports extra as added" grep -q "added.*extra" <<<"$out"
      check "reload reports peer as unchanged" grep -q "unchanged.*peer" <<<"$out"
      spi1=$(cyg_spi l)
      check "unchanged connection kept its CHILD SA ($spi0)" test "$spi0" = "$spi1"
      check "status lists the added connection" eq "$(cyg_status l | it_json "int(any(c['name'] == 'extra' for c in d['connections']))")" 1
      check "ping after the reload" tr_ping l r 2 0.2
      # 2. A broken file: rejected with its position, nothing applied, the SA untouched.
      cp "$cfg_l" "$cfg_l.good"
      echo 'dpd_delay = "soon"' >>"$cfg_l"
      if out=$(cyg_ctl l reload 2>&1); then it_fail "a broken configuration was accepted: $out"; fi
      it_log "broken reload: $(tr '\n' ' ' <<<"$out")"
      check "broken reload names file, line and column" grep -q "cygnetd.toml:[0-9]*:[0-9]*:" <<<"$out"
      check "broken reload left the CHILD SA alone" test "$(cyg_spi l)" = "$spi0"
      # 3. A changed connection (SIGHUP this time): replaced by a new SA.
      sed 's/^lifetime = "1h"/lifetime = "50m"/' "$cfg_l.good" >"$cfg_l"
      kill -HUP "${IT_PID[l]}"
      check "changed connection re-established with a new CHILD SA" it_wait_for 15 "a new CHILD SA" cyg_spi_changed l "$spi0"
      check "ping after the change" tr_ping l r 2 0.2
      check "stats count two reloads" eq "$(cyg_stat l daemon reloads)" 2
      ;;
    cygnetd-control-socket)
      local sock mode out rc cmd
      sock=$(cyg_socket l)
      mode=$(stat -c %a "$sock")
      check "control socket is mode 600, root only (found $mode)" test "$mode" = 600
      out=$(timeout 5 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"this is not json\n"); print(s.recv(65536).decode())' "$sock")
      it_log "bad JSON answer: $out"
      check "bad JSON answered with an error" grep -q '"ok":false' <<<"$out"
      out=$(timeout 5 /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
try:
    s.sendall(b"{\"command\": \"status\", \"pad\": \"" + b"a" * 200000 + b"\"}\n")
except OSError:
    pass
print(s.recv(65536).decode())' "$sock")
      it_log "oversized request answer: $out"
      check "oversized request refused" grep -q 'too long' <<<"$out"
      out=$(cyg_ctl l up no-such-connection 2>&1); rc=$?
      check "up of an unknown connection: exit 1 ($rc)" test "$rc" -eq 1
      check "  ... naming it" grep -q 'no-such-connection' <<<"$out"
      out=$(timeout 5 "$CYGNETCTL" --socket "$IT_TMP/nothing-here.sock" status 2>&1); rc=$?
      check "unreachable daemon: exit 2 ($rc)" test "$rc" -eq 2
      check "  ... saying so" grep -q 'is cygnetd running' <<<"$out"
      for cmd in "status --json" "stats --json" status stats; do
        # shellcheck disable=SC2086
        out=$(cyg_ctl l $cmd)
        check "no PSK in '$cmd'" test "$(grep -c 'cygnet-interop-test-secret' <<<"$out")" -eq 0
      done
      check "still serving after the bad requests" cyg_has_sa l
      check "the log never shows the PSK" test "$(grep -c 'cygnet-interop-test-secret' "${IT_DIR[l]}/cygnetd.log")" -eq 0
      ;;
  esac
  check "left cygnetd exited 0 on SIGTERM" cyg_stop l
  check "right cygnetd exited 0 on SIGTERM" cyg_stop r
}

# --- strongSwan <-> strongSwan (harness baseline) -----------------------------------------

run_ss() {
  local scenario=$1
  it_require ip ping iperf3 nft timeout ss "$CHARON" "$SWANCTL"
  it_init
  it_step "scenario $scenario; temp dir $IT_TMP"
  ns_create_pair
  nft_count_setup l
  local -a left=() right=()
  case $scenario in
    strongswan-baseline) ;;
    strongswan-baseline-rekey) left=(child_rekey=3s child_life=5s child_rand=1s ike_rekey=5s ike_over=2s ike_rand=1s) ;;
    *) it_fail "unknown scenario $scenario" ;;
  esac
  ss_start l
  ss_start r
  ss_load l "$(ss_swanctl_conf l "${left[@]}")"
  ss_load r "$(ss_swanctl_conf r "${right[@]}")"
  check "swanctl --initiate" ss_initiate l net
  check "right has the SA" ss_wait_sa r 10
  if [ "$scenario" = strongswan-baseline-rekey ]; then
    local ids0 ids1
    ids0=$(ss_sa_ids l)
    check "iperf3 TCP l -> r across CHILD and IKE rekeys" tr_iperf l r -t 7
    ids1=$(ss_sa_ids l)
    it_log "unique ids (IKE CHILD): $ids0 -> $ids1"
    check "IKE SA was rekeyed" ge "${ids1% *}" $((${ids0% *} + 1))
    check "CHILD SA was rekeyed" ge "${ids1#* }" $((${ids0#* } + 1))
    check "ping l -> r after the rekeys" tr_ping l r 3 0.2
  else
    traffic_full
  fi
  wire_check l udp
  check "swanctl --terminate --ike peer" ss_ctl l --terminate --ike peer --timeout 10
  check "left dropped the SA" peer_wait_no_sa l 10
  check "right dropped the SA" peer_wait_no_sa r 10
}

# --- IKEv1: Main, Aggressive and Quick Mode ---------------------------------------------------

# charon refuses Aggressive Mode with a PSK ("Aggressive Mode PSK disabled for security reasons")
# unless this is set; it is what a strongSwan responder to Aggressive Mode needs.
V1_AGGRESSIVE_PSK_CHARON='  i_dont_care_about_security_and_use_aggressive_mode_psk = yes'

# v1_params BASE: what each end of IKEv1 scenario BASE runs. Shared by the Cygnet <-> strongSwan
# scenario and its strongSwan <-> strongSwan baseline (strongswan-baseline-BASE), so the peer's
# half of every scenario is proven against strongSwan itself, independently of Cygnet:
#   V1_IKE V1_ESP                    proposals (strongSwan syntax, both ends)
#   V1_SS V1_SS_CHARON               the strongSwan peer in r: ss_swanctl_conf keys, strongswan.conf
#   V1_CYG                           Cygnet in l: cyg_config keys
#   V1_MIRROR V1_MIRROR_CHARON       strongSwan standing in for Cygnet in l (baseline only)
#   V1_TRAFFIC                       full | rekey | refused | nat | dpd
#   V1_NAT                           1: l behind a masquerading router (ns_create_trio 1)
#   V1_MODE                          main | aggressive (phase 1 exchange both ends must report)
# Needs IT_TMP (it_init) for the PKI of the certificate scenarios.
v1_params() {
  local base=$1
  V1_IKE=aes256-sha256-modp2048 V1_ESP=aes256-sha256 V1_TRAFFIC=full V1_NAT=0 V1_MODE=main
  V1_SS=(version=1) V1_SS_CHARON="" V1_MIRROR=(version=1) V1_MIRROR_CHARON=""
  # kernel-libipsec forces ESP-in-UDP (fake NAT-D); Cygnet says so explicitly, except in
  # ikev1-encap-auto (it must notice the "NAT" itself) and ikev1-nat (a real NAT).
  V1_CYG=(ike_version=1 encapsulation=udp)
  case $base in
    ikev1-main-psk) ;;
    ikev1-encap-auto) V1_CYG=(ike_version=1 encapsulation=auto) ;;
    ikev1-main-cert-rsa | ikev1-main-cert-ecdsa)
      local type=${base#ikev1-main-cert-} pki=$IT_TMP/pki
      it_step "PKI: $type CA and host certificates"
      pki_ca "$pki" "$type"
      if [ "$type" = ecdsa ]; then
        pki_host "$pki" left "$type" DNS:left.example.com IP:192.0.2.1
        pki_host "$pki" right "$type" DNS:right.example.com IP:192.0.2.2
        V1_CYG+=(local_id=left.example.com remote_id=right.example.com)
        V1_MIRROR+=(local_id=left.example.com remote_id=right.example.com)
        V1_SS+=(local_id=right.example.com remote_id=left.example.com)
      else
        pki_host "$pki" left "$type" IP:192.0.2.1 DNS:left.example.com
        pki_host "$pki" right "$type" IP:192.0.2.2 DNS:right.example.com
      fi
      V1_CYG+=(auth=pubkey "cert=$pki/left.pem" "key=$pki/left.key" "cacert=$pki/ca.pem")
      V1_MIRROR+=(auth=pubkey "cert=$pki/left.pem" "key=$pki/left.key" "cacert=$pki/ca.pem")
      # send_cert = ifasked (strongSwan's default): strongSwan sends its certificate only after a
      # CERTREQ from Cygnet. SS_SEND_CERT=always (diagnosis only) takes that out of the picture.
      V1_SS+=(auth=pubkey "cert=$pki/right.pem" "key=$pki/right.key" "cacert=$pki/ca.pem" "send_cert=${SS_SEND_CERT:-ifasked}")
      ;;
    ikev1-aggressive-psk)
      V1_MODE=aggressive
      V1_CYG+=(aggressive=true)
      V1_SS+=(aggressive=yes) V1_SS_CHARON=$V1_AGGRESSIVE_PSK_CHARON
      V1_MIRROR+=(aggressive=yes) V1_MIRROR_CHARON=$V1_AGGRESSIVE_PSK_CHARON
      ;;
    ikev1-aggressive-refused)
      # strongSwan initiates Aggressive Mode; the other end has no aggressive = true (Cygnet) or
      # no i_dont_care_about_security_and_use_aggressive_mode_psk (strongSwan): both refuse.
      V1_MODE=aggressive V1_TRAFFIC=refused
      V1_SS+=(aggressive=yes)
      ;;
    ikev1-quick-pfs)
      # Quick Mode with PFS (KE payloads, Group Description ECP-256), a group other than phase 1's.
      V1_ESP=aes128-sha256-ecp256
      ;;
    ikev1-rekey-by-cygnet)
      # Cygnet rekeys its Quick Mode SAs at ~90 % minus up to 10 % of 10 s: ~8.1-9 s.
      V1_TRAFFIC=rekey
      V1_CYG+=(lifetime=10s)
      V1_MIRROR+=(child_rekey=8s child_life=10s child_rand=1s)
      ;;
    ikev1-rekey-by-strongswan)
      # strongSwan rekeys every 4-5 s (rekey_time 5s, rand_time 1s): several times in 12 s, and keeps
      # each old SA until its 10 s life_time ends (then Delete).
      V1_TRAFFIC=rekey
      V1_SS+=(child_rekey=5s child_life=10s child_rand=1s)
      ;;
    ikev1-nat)
      # l (192.0.2.1) behind m, which masquerades it as 192.0.2.65; r is 192.0.2.66. r's peer
      # config matches the NAT's address, the identity stays 192.0.2.1. RFC 3947 NAT-D finds a
      # real NAT, so Cygnet runs with encapsulation = "auto".
      V1_NAT=1 V1_TRAFFIC=nat
      V1_CYG=(ike_version=1 encapsulation=auto start_action=start)
      V1_SS+=(remote_addr=192.0.2.65 remote_id=192.0.2.1)
      ;;
    ikev1-dpd)
      # RFC 3706 DPD on both ends; the path is cut in r after the tunnel is up.
      V1_TRAFFIC=dpd
      V1_CYG+=(dpd_delay=3s)
      V1_SS+=(dpd_delay=3s dpd_timeout=15s)
      V1_MIRROR+=(dpd_delay=3s dpd_timeout=15s)
      ;;
    *) it_fail "unknown IKEv1 scenario base $base" ;;
  esac
}

v1_topology() {
  if [ "$V1_NAT" = 1 ]; then ns_create_trio 1; else ns_create_pair; fi
  nft_count_setup l
  it_capture l
}

# Drops everything on NODE's out0 (both directions): the peer vanishes without a word.
v1_cut_path() {
  ip netns exec "${IT_NS[$1]}" nft -f - <<'EOF' || it_fail "nft drop rules in $1"
table inet cygnet_cut {
  chain in { type filter hook input priority -400; iifname "out0" drop; }
  chain out { type filter hook output priority -400; oifname "out0" drop; }
}
EOF
}

# strongSwan NODE holds an established IKEv1 SA, and charon logged the expected phase-1 exchange
# ("initiating Main Mode IKE_SA ..." as initiator, "... is initiating a Main Mode IKE_SA" as responder).
ss_is_v1() { ss_sas_json "$1" | it_json "any(sa.get('version') == '1' and sa.get('state') == 'ESTABLISHED' for sa in d)"; }
ss_v1_check() {
  local node=$1 mode=$2 word
  [ "$mode" = aggressive ] && word="Aggressive Mode" || word="Main Mode"
  check "strongSwan ($node) holds an established IKEv1 SA" ss_is_v1 "$node"
  check "strongSwan ($node) logged a $word exchange" grep -q "$word" "${IT_DIR[$node]}/charon.log"
}
# Cygnet NODE has IKE SAs, all IKEv1 (version 1) with phase-1 exchange MODE (main|aggressive).
cyg_is_v1() {
  cyg_status "$1" | it_json "any(c['ike_sas'] for c in d['connections']) and all(sa.get('version') == 1 and sa.get('mode') == '$2' for c in d['connections'] for sa in c['ike_sas'])"
}
cyg_v1_check() {
  it_log "Cygnet: $(cyg_status "$1" | it_json '[(sa.get("version"), sa.get("mode"), sa["algorithms"], sa["local"], sa["remote"], sa.get("nat_detected"), [(c["algorithms"], c["inbound_spi"], c.get("udp_encapsulated")) for c in sa["child_sas"]]) for c in d["connections"] for sa in c["ike_sas"]]' 2>&1)"
  check "Cygnet ($1) reports its SA as IKEv1 (version 1), mode \"$2\"" cyg_is_v1 "$1" "$2"
}
# The inbound SPIs of every child SA of Cygnet NODE, space-separated.
cyg_spis() { cyg_status "$1" | it_json "' '.join(ch['inbound_spi'] for c in d['connections'] for sa in c['ike_sas'] for ch in sa['child_sas'])"; }
cyg_child_count() { cyg_status "$1" | it_json "sum(len(sa['child_sas']) for c in d['connections'] for sa in c['ike_sas'])"; }
ss_child_count() { ss_sas_json "$1" | it_json "sum(1 for sa in d for c in sa['child-sas'] if c.get('state') == 'INSTALLED')"; }
ss_child_count_all() { ss_sas_json "$1" | it_json "sum(len(sa['child-sas']) for sa in d)"; }
ss_out_spis() { ss_sas_json "$1" | it_json "' '.join(c.get('spi-out', '') for sa in d for c in sa['child-sas'])"; }
# Every inbound SPI of Cygnet CYGNODE is an outbound SPI of a CHILD SA strongSwan SSNODE still has.
cyg_spis_within_ss() {
  local have w
  have=" $(ss_out_spis "$2") "
  for w in $(cyg_spis "$1"); do [[ $have == *" $w "* ]] || return 1; done
}
# True when WORDS2 holds a word that WORDS1 does not: a new SPI appeared.
new_word() { local w; for w in $2; do [[ " $1 " == *" $w "* ]] || return 0; done; return 1; }

# NODE initiates the CHILD (and its ISAKMP SA) and must fail; logs strongSwan's last words.
ss_initiate_fails() {
  if ss_initiate "$1" net 2>/dev/null; then return 1; fi
  it_log "swanctl --initiate failed as expected: $(tail -n 3 "${IT_DIR[$1]}/swanctl-initiate.log" | tr '\n' ' ')"
}

# The NAT scenario's checks on strongSwan r: it sees l at the NAT's address, and knows of the NAT.
ss_sees_nat() {
  ss_sas_json "$1" | it_json "any(sa.get('remote-host') == '192.0.2.65' and sa.get('nat-remote') == 'yes' for sa in d)"
}

# The 12 s transfer across Quick Mode rekeys, run by both the Cygnet scenario and the baseline.
# v1_rekey_traffic SSNODE [CYGNODE]: SSNODE is a strongSwan end whose CHILD unique id must grow.
v1_rekey_traffic() {
  local ssnode=$1 cygnode=${2:-} ids0 ids1 spi0="" spi1="" crk
  ids0=$(ss_sa_ids "$ssnode")
  [ -n "$cygnode" ] && spi0=$(cyg_spis "$cygnode")
  it_step "12 s transfer across Quick Mode rekeys (strongSwan $ssnode IKE/CHILD unique ids before: $ids0${cygnode:+; Cygnet inbound SPIs: $spi0})"
  check "iperf3 TCP l -> r for 12 s across CHILD rekeys" tr_iperf l r -t 12
  # Judged once settled (bounded polls): in the middle of a rekey the CHILD SA is REKEYING.
  check "strongSwan's ($ssnode) CHILD SA was replaced (unique id ${ids0#* } -> larger)" \
    it_wait_for 10 "strongSwan's CHILD unique id to grow" ss_child_id_grew "$ssnode" "$ids0"
  ids1=$(ss_sa_ids "$ssnode")
  it_log "strongSwan $ssnode unique ids (IKE CHILD): $ids0 -> $ids1; installed CHILD SAs now: $(ss_child_count "$ssnode")"
  check "strongSwan ($ssnode) kept its ISAKMP SA (unique id ${ids0% *} -> ${ids1% *})" eq "${ids1% *}" "${ids0% *}"
  if [ -n "$cygnode" ]; then
    spi1=$(cyg_spis "$cygnode")
    crk=$(cyg_stat "$cygnode" ike child_sas_rekeyed)
    it_log "Cygnet: child_sas_rekeyed=$crk, inbound SPIs $spi0 -> $spi1"
    check "Cygnet's CHILD SA was rekeyed (child_sas_rekeyed=$crk, a new inbound SPI: $spi0 -> $spi1)" eval 'ge "$crk" 1 || new_word "$spi0" "$spi1"'
    check "Cygnet still has the SA (settled)" cyg_wait_sa "$cygnode" 10
    # strongSwan keeps a rekeyed IKEv1 CHILD SA until its hard lifetime and then sends a Delete, so
    # both ends may hold several; but Cygnet must hold none that strongSwan no longer has.
    it_log "CHILD SAs: Cygnet $(cyg_child_count "$cygnode") (inbound SPIs $(cyg_spis "$cygnode")), strongSwan $(ss_child_count_all "$ssnode") (outbound SPIs $(ss_out_spis "$ssnode"))"
    check "every CHILD SA Cygnet holds is one strongSwan still has (deleted ones removed)" \
      it_wait_for 5 "Cygnet to drop the CHILD SAs strongSwan deleted" cyg_spis_within_ss "$cygnode" "$ssnode"
  fi
  check "strongSwan ($ssnode) still has the SA (settled)" ss_wait_sa "$ssnode" 10
  check "ping l -> r after the rekeys" tr_ping l r 3 0.2
  check "iperf3 TCP r -> l after the rekeys" tr_iperf l r -t 1 -R
}

# Who rekeyed, as strongSwan saw it: REKEYER's charon (when strongSwan) logged "creating rekey job
# for CHILD_SA", OTHER's charon (when strongSwan) recognised the new Quick Mode as a rekey of the
# existing CHILD_SA ("detected rekeying of CHILD_SA"), rather than as an unrelated second SA.
v1_rekey_logs() {
  local rekeyer=$1 other=$2
  if [ "${IT_KIND[$rekeyer]}" = strongswan ]; then
    check "strongSwan ($rekeyer) initiated the rekey" grep -q "creating rekey job for CHILD_SA" "${IT_DIR[$rekeyer]}/charon.log"
  fi
  if [ "${IT_KIND[$other]}" = strongswan ]; then
    it_log "strongSwan ($other): $(grep -m 2 'received .* lifetime\|detected rekeying' "${IT_DIR[$other]}/charon.log" | sed 's/^[0-9:]* //' | tr '\n' ' ')"
    check "strongSwan ($other) took the new Quick Mode SA as a rekey of its CHILD_SA" grep -q "detected rekeying of CHILD_SA" "${IT_DIR[$other]}/charon.log"
  fi
}

# After an idle spell with DPD on both ends, from strongSwan NODE's log: R-U-THERE/ACK pairs went
# at least one way (whichever end probes first; hearing the peer's probe resets the other's timer),
# and strongSwan's own R-U-THEREs were acknowledged (all but possibly one still in flight).
dpd_idle_check() {
  local log=${IT_DIR[$1]}/charon.log sent_ss got_ack got_probe sent_ack
  sent_ss=$(grep -c 'generating INFORMATIONAL_V1 .*N(DPD) \]' "$log") got_ack=$(grep -c 'parsed INFORMATIONAL_V1 .*N(DPD_ACK)' "$log")
  got_probe=$(grep -c 'parsed INFORMATIONAL_V1 .*N(DPD) \]' "$log") sent_ack=$(grep -c 'generating INFORMATIONAL_V1 .*N(DPD_ACK)' "$log")
  it_log "DPD seen by strongSwan ($1): sent $sent_ss R-U-THERE, parsed $got_ack ACKs; parsed $got_probe R-U-THERE, sent $sent_ack ACKs"
  check "at least one R-U-THERE was acknowledged" ge "$((got_ack + sent_ack))" 1
  check "strongSwan's R-U-THEREs were acknowledged ($got_ack of $sent_ss)" ge "$((got_ack + 1))" "$sent_ss"
}

# NAT checks and traffic through the masquerading router (both runners).
v1_nat_traffic() {
  check "strongSwan (r) sees the peer at the NAT's address 192.0.2.65 and the NAT" ss_sees_nat r
  check "ping l -> r through the NAT" tr_ping l r 3 0.2
  check "ping r -> l through the NAT" tr_ping r l 3 0.2
  check "iperf3 TCP l -> r through the NAT" tr_iperf l r -t 2
}

# Cygnet <-> strongSwan IKEv1. ROLE initiator|responder (Cygnet's), or empty for the single-role
# scenarios (aggressive-refused: strongSwan initiates; nat, dpd: Cygnet initiates).
run_v1() {
  local base=$1 role=$2
  it_require ip ping iperf3 nft timeout ss "$CHARON" "$SWANCTL"
  cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
  it_init
  it_step "scenario $base${role:+, Cygnet as IKE $role} (IKEv1); temp dir $IT_TMP"
  v1_params "$base"
  v1_topology
  [ "$role" = "" ] && case $V1_TRAFFIC in refused) role=responder ;; *) role=initiator ;; esac
  local cyg_start_action=none
  # One scenario (and the NAT one, via V1_CYG) exercises start_action = "start"; the rest `up`.
  [ "$base" = ikev1-main-psk ] && [ "$role" = initiator ] && cyg_start_action=start
  [ "$V1_NAT" = 1 ] && CYG_EXTRA_ARGS="--nat-keepalive 1"

  SS_EXTRA_CHARON=$V1_SS_CHARON
  ss_start r
  ss_load r "$(ss_swanctl_conf r ike_proposals="$V1_IKE" esp_proposals="$V1_ESP" "${V1_SS[@]}")"
  cyg_start l "$(cyg_config l ike_proposals="$V1_IKE" esp_proposals="$V1_ESP" start_action="$cyg_start_action" "${V1_CYG[@]}")"
  if grep -q "not loaded\|connection refused" "${IT_DIR[l]}/cygnetd.log"; then
    it_fail "cygnetd did not load the IKEv1 connection: $(grep -m 2 'not loaded\|connection refused' "${IT_DIR[l]}/cygnetd.log" | tr '\n' ' ')"
  fi

  if [ "$V1_TRAFFIC" = refused ]; then
    it_step "strongSwan initiates Aggressive Mode; Cygnet's connection does not allow it"
    check "strongSwan's Aggressive Mode initiation fails" ss_initiate_fails r
    check "Cygnet has no SA" cyg_has_no_sa l
    check "strongSwan has no SA" peer_wait_no_sa r 10
    it_log "cygnetd: $(grep -m 3 'Aggressive Mode' "${IT_DIR[l]}/cygnetd.log" | tr '\n' ' ')"
    check "cygnetd logged the refusal of Aggressive Mode" grep -q "Aggressive Mode" "${IT_DIR[l]}/cygnetd.log"
    check "Cygnet established no ISAKMP SA (ike_sas_established=$(cyg_stat l ike ike_sas_established))" eq "$(cyg_stat l ike ike_sas_established)" 0
    check "no ping l -> r without a tunnel" eval '! MIN_REPLIES=1 tr_ping l r 2 0.2 2>/dev/null'
    check "cygnetd exited 0 on SIGTERM" cyg_stop l
    return
  fi

  if [ "$role" = responder ]; then
    check "swanctl --initiate" ss_initiate r net
  elif [ "$cyg_start_action" != start ] && [[ " ${V1_CYG[*]} " != *" start_action=start "* ]]; then
    check "cygnetctl up peer" cyg_ctl l up peer
  fi
  check "Cygnet has the SA" cyg_wait_sa l 20
  check "strongSwan has the SA" ss_wait_sa r 20
  cyg_v1_check l "$V1_MODE"
  ss_v1_check r "$V1_MODE"
  if [ "$base" = ikev1-quick-pfs ]; then
    local dh
    dh=$(ss_sas_json r | it_json "' '.join(c.get('dh-group', '-') for sa in d for c in sa['child-sas'])")
    check "strongSwan's Quick Mode SA used PFS with ECP-256 (dh-group: $dh)" test "$dh" = ECP_256
  fi

  case $V1_TRAFFIC in
    full) traffic_full ;;
    rekey)
      v1_rekey_traffic r l
      if [ "$base" = ikev1-rekey-by-cygnet ]; then v1_rekey_logs l r; else v1_rekey_logs r l; fi
      ;;
    nat)
      check "Cygnet detected the NAT, floated to 4500, ESP in UDP" eq "$(cyg_status l | it_json \
        "int(all(sa['nat_detected'] and sa['local'].endswith('[4500]') and all(ch['udp_encapsulated'] for ch in sa['child_sas']) for c in d['connections'] for sa in c['ike_sas']))")" 1
      v1_nat_traffic
      sleep 2
      check "Cygnet sent NAT keepalives" ge "$(cyg_stat l daemon nat_keepalives_sent)" 1
      ;;
    dpd)
      check "ping l -> r through the tunnel" tr_ping l r 3 0.2
      check "ping r -> l through the tunnel" tr_ping r l 3 0.2
      wire_check l udp
      it_step "8 s idle tunnel: both ends send R-U-THERE (dpd_delay 3s) and must answer each other's"
      sleep 8
      check "Cygnet still has the SA after the idle time" cyg_has_sa l
      check "strongSwan still has the SA after the idle time" ss_has_sa r
      dpd_idle_check r
      it_step "cutting the path: r drops everything on out0; Cygnet (dpd_delay 3s) must declare r dead"
      v1_cut_path r
      local t0=$SECONDS
      # dpd_delay 3 s, then R-U-THERE retransmitted on Cygnet's schedule (1 s x 1.8^n, 5 tries):
      # ~44 s; 58 s keeps the scenario under a minute of waiting.
      check "Cygnet removed the SAs of the dead peer within 58 s" it_wait_for 58 "Cygnet to drop the SA" cyg_has_no_sa l
      it_log "Cygnet dropped the SA $((SECONDS - t0)) s after the cut"
      it_log "cygnetd: $(grep -m 3 -i 'peer-dead\|R-U-THERE\|DPD' "${IT_DIR[l]}/cygnetd.log" | tr '\n' ' ')"
      check "cygnetd logged the peer-dead event" grep -q "peer-dead" "${IT_DIR[l]}/cygnetd.log"
      check "cygnetd exited 0 on SIGTERM" cyg_stop l
      return
      ;;
  esac

  wire_check l udp
  cyg_counters_check l
  it_step "stopping cygnetd: it must delete its SAs at strongSwan and exit 0"
  check "cygnetd exited 0 on SIGTERM" cyg_stop l
  check "strongSwan dropped the SA after cygnetd stopped" peer_wait_no_sa r 10
}

# strongSwan <-> strongSwan with the IKEv1 scenario BASE's configuration: r exactly as in the Cygnet
# scenario, l standing in for Cygnet (V1_MIRROR). Proves the peer's half without Cygnet. Scenarios
# that Cygnet runs in both roles are run here in both directions, one after the other.
run_ss_v1() {
  local base=$1 who
  it_require ip ping iperf3 nft timeout ss "$CHARON" "$SWANCTL"
  it_init
  it_step "scenario strongswan-baseline-$base (IKEv1, strongSwan on both ends); temp dir $IT_TMP"
  v1_params "$base"
  v1_topology
  SS_EXTRA_CHARON=$V1_MIRROR_CHARON
  ss_start l
  SS_EXTRA_CHARON=$V1_SS_CHARON
  ss_start r
  ss_load l "$(ss_swanctl_conf l ike_proposals="$V1_IKE" esp_proposals="$V1_ESP" "${V1_MIRROR[@]}")"
  ss_load r "$(ss_swanctl_conf r ike_proposals="$V1_IKE" esp_proposals="$V1_ESP" "${V1_SS[@]}")"
  case $V1_TRAFFIC in
    refused)
      check "r's Aggressive Mode initiation fails" ss_initiate_fails r
      check "l has no SA" peer_wait_no_sa l 10
      check "r has no SA" peer_wait_no_sa r 10
      it_log "l: $(grep -m 2 'Aggressive Mode' "${IT_DIR[l]}/charon.log" | tr '\n' ' ')"
      check "l logged the refusal of Aggressive Mode PSK" grep -q "Aggressive Mode PSK disabled" "${IT_DIR[l]}/charon.log"
      return
      ;;
    full)
      for who in l r; do
        it_step "$who initiates"
        check "swanctl --initiate in $who" ss_initiate "$who" net
        check "l has the SA" ss_wait_sa l 20
        check "r has the SA" ss_wait_sa r 20
        ss_v1_check l "$V1_MODE"
        ss_v1_check r "$V1_MODE"
        if [ "$base" = ikev1-quick-pfs ]; then
          local dh
          dh=$(ss_sas_json r | it_json "' '.join(c.get('dh-group', '-') for sa in d for c in sa['child-sas'])")
          check "Quick Mode used PFS with ECP-256 (dh-group: $dh)" test "$dh" = ECP_256
        fi
        if [ "$who" = l ]; then
          traffic_full
        else
          check "ping l -> r through the tunnel" tr_ping l r 3 0.2
          check "ping r -> l through the tunnel" tr_ping r l 3 0.2
        fi
        check "swanctl --terminate --ike peer in $who" ss_ctl "$who" --terminate --ike peer --timeout 10
        check "l dropped the SA" peer_wait_no_sa l 10
        check "r dropped the SA" peer_wait_no_sa r 10
      done
      ;;
    rekey | nat | dpd)
      check "swanctl --initiate in l" ss_initiate l net
      check "l has the SA" ss_wait_sa l 20
      check "r has the SA" ss_wait_sa r 20
      ss_v1_check l "$V1_MODE"
      ss_v1_check r "$V1_MODE"
      ;;
  esac
  case $V1_TRAFFIC in
    rekey)
      # The rekeying end: l stands in for Cygnet (rekey-by-cygnet), r is the strongSwan peer.
      if [ "$base" = ikev1-rekey-by-cygnet ]; then
        v1_rekey_traffic l
        v1_rekey_logs l r
      else
        v1_rekey_traffic r
        v1_rekey_logs r l
      fi
      ;;
    nat) v1_nat_traffic ;;
    dpd)
      check "ping l -> r through the tunnel" tr_ping l r 3 0.2
      check "l and r exchange the DPD vendor ID" grep -q "received DPD vendor ID" "${IT_DIR[r]}/charon.log"
      sleep 8
      check "l still has the SA after 8 s idle" ss_has_sa l
      dpd_idle_check r
      it_step "cutting the path: r drops everything on out0; l (dpd_delay 3s, dpd_timeout 15s) must declare r dead"
      v1_cut_path r
      local t0=$SECONDS
      check "l removed the SAs of the dead peer within 58 s" it_wait_for 58 "l to drop the SA" ss_has_no_sa l
      it_log "l dropped the SA $((SECONDS - t0)) s after the cut: $(grep -m 2 'DPD\|dead' "${IT_DIR[l]}/charon.log" | tr '\n' ' ')"
      return
      ;;
  esac
  wire_check l udp
  if [ "$V1_TRAFFIC" != full ]; then
    check "swanctl --terminate --ike peer" ss_ctl l --terminate --ike peer --timeout 10
    check "l dropped the SA" peer_wait_no_sa l 10
    check "r dropped the SA" peer_wait_no_sa r 10
  fi
}

main() {
  local scenario=${1:-}
  case $scenario in
    --list) list_scenarios; exit 0 ;;
    "" | -h | --help) sed -n '2,/^HERE=/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
  # Not `list_scenarios | grep -q`: grep stops at the first match, and under pipefail the writer's
  # SIGPIPE would make a known scenario look unknown, depending on timing.
  local known
  known=$(list_scenarios)
  grep -qx -- "$scenario" <<<"$known" || { echo "unknown scenario '$scenario' (see --list)" >&2; exit 2; }
  case $scenario in
    ikev1-*-cygnet-initiator) run_v1 "${scenario%-cygnet-initiator}" initiator ;;
    ikev1-*-cygnet-responder) run_v1 "${scenario%-cygnet-responder}" responder ;;
    ikev1-*) run_v1 "$scenario" "" ;;
    strongswan-baseline-ikev1-*) run_ss_v1 "${scenario#strongswan-baseline-}" ;;
    *-cygnet-initiator) run_cs "${scenario%-cygnet-initiator}" initiator ;;
    *-cygnet-responder) run_cs "${scenario%-cygnet-responder}" responder ;;
    cygnet-cygnet-*) run_cc "$scenario" ;;
    cygnetd-*) run_daemon "$scenario" ;;
    cygnet-nat) run_nat "$scenario" ;;
    strongswan-*) run_ss "$scenario" ;;
  esac
  exit 0
}

main "$@"
