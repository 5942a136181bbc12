#!/usr/bin/env bash
# `cygnetctl why` against strongSwan: disjoint IKE proposals (same cipher and PRF, key exchange
# groups x25519 on Cygnet's side, ecp384 on strongSwan's), in each role.
#   why.sh initiator: Cygnet initiates; strongSwan answers NO_PROPOSAL_CHOSEN. `why` must say so
#                     with Cygnet's own offer (an initiator never sees the responder's proposals).
#   why.sh responder: strongSwan initiates; `why` on Cygnet must name the transform type without
#                     overlap, both offers and the one change that would agree.
# Needs root, strongSwan (charon, swanctl) and built cygnetd/cygnetctl; exit 77 = skipped.
set -u
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../strongswan/lib.sh"

role=${1:-}
[ "$role" = initiator ] || [ "$role" = responder ] || { echo "usage: why.sh initiator|responder" >&2; exit 2; }

it_require ip timeout "$CHARON" "$SWANCTL"
cyg_built || it_skip "cygnetd/cygnetctl not built ($CYGNETD, $CYGNETCTL)"
IT_DEADLINE=60
it_init
it_step "why: disjoint IKE proposals, Cygnet as $role; temp dir $IT_TMP"
ns_create_pair

cyg_ike=aes256gcm16-prfsha256-x25519
ss_ike=aes256gcm16-prfsha256-ecp384
cyg_start_action=none
[ "$role" = initiator ] && cyg_start_action=start

ss_start r
ss_load r "$(ss_swanctl_conf r ike_proposals="$ss_ike")"
cyg_start l "$(cyg_config l ike_proposals="$cyg_ike" encapsulation=udp start_action="$cyg_start_action")"

if [ "$role" = responder ]; then
  it_step "strongSwan initiates (must fail)"
  if ss_initiate r net; then it_fail "strongSwan established an SA despite disjoint proposals"; fi
fi

# Waits until `cygnetctl why peer` reports a failure; prints the text.
why_text=""
for _ in $(seq 1 30); do
  why_text=$(cyg_ctl l why peer 2>&1) || true
  case $why_text in *"is not up. The last failure:"*) break ;; esac
  sleep 0.5
done
it_log "cygnetctl why peer:"
printf '%s\n' "$why_text" >&2

expect() {  # expect WORDS: the why text contains them verbatim
  case $why_text in *"$1"*) it_log "ok: why says '$1'" ;; *) it_fail "why does not say '$1'" ;; esac
}

if [ "$role" = responder ]; then
  expect "proposal failure as responder in IKEv2 IKE_SA_INIT"
  expect "none of the peer's IKE proposals is acceptable: no common key exchange group"
  expect "ours:       IKE proposals $cyg_ike"
  expect "theirs:     IKE proposals $ss_ike"
  expect "peer offers key exchange groups ecp384 only; we offer x25519 — add ecp384 to ike_proposals to agree"
else
  expect "proposal failure as initiator in IKEv2 IKE_SA_INIT"
  expect "the responder accepted none of our IKE proposals (NO_PROPOSAL_CHOSEN)"
  expect "ours:       IKE proposals $cyg_ike"
  expect "theirs:     not shown by the peer"
fi

# The JSON form carries the same report, and status shows its one line.
class=$(cyg_ctl l why peer --json | it_json 'd["last_failure"]["class"]') || it_fail "why --json"
[ "$class" = proposal ] || it_fail "why --json: class '$class', expected proposal"
it_log "ok: why --json class proposal"
status_class=$(cyg_status l | it_json 'd["connections"][0]["last_failure"]["class"]') || it_fail "status --json"
[ "$status_class" = proposal ] || it_fail "status --json last_failure.class '$status_class'"
it_log "ok: status --json last_failure"
cyg_ctl l status | grep -q "last failure .* s ago: proposal ($role, IKE_SA_INIT)" || it_fail "status text lacks the last failure line"
it_log "ok: status shows the last failure"

# An unknown name is an error (exit 1) with a clear message.
if out=$(cyg_ctl l why nosuch 2>&1); then it_fail "why nosuch succeeded: $out"; fi
case $out in *'no connection named "nosuch"'*) it_log "ok: unknown name refused" ;; *) it_fail "unknown name: $out" ;; esac
it_log "PASS"
