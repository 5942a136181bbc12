#!/usr/bin/env bash
# EAP-RADIUS against FreeRADIUS (issue 14): cygnetd's RADIUS client (src/daemon/radius_client.*)
# relays an EAP-MSCHAPv2 conversation, driven by Cygnet's own EAP-MSCHAPv2 peer
# (cygnet-radius-eap-driver), to a FreeRADIUS server with a private configuration this script
# writes, inside a network namespace of its own (loopback only). Checks:
#   1. right password → Access-Accept, and the MSK from MS-MPPE-Recv/Send-Key equals the peer's
#   2. wrong password → Access-Reject
#   3. wrong shared secret → FreeRADIUS drops the request (bad Message-Authenticator), the client
#      ends with a clear "no RADIUS server answered" failure, bounded in time, no hang
#   4. first server silent → failover to the second, Access-Accept
#   5. accounting Start and Stop acknowledged and recorded in FreeRADIUS's detail file (with the
#      session id, the framed address, octets with gigawords, packets, session time and cause)
#   6. a server that answers with another secret (a forged Access-Accept) → refused: its MS-MPPE
#      keys do not decrypt under our secret
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/freeradius_lib.sh"

DRIVER=${1:?usage: radius.sh PATH/TO/cygnet-radius-eap-driver}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v freeradius >/dev/null || { echo "SKIP: freeradius not installed"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: iproute2 not installed"; exit 77; }

NS="cyg-radius-$$"
WORK=$(mktemp -d /tmp/cygnet-radius.XXXXXX)
SECRET="cygnet-radius-test-secret"
FAKE_PID=""
failures=0

cleanup() {
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
  fr_stop
  ip netns del "$NS" 2>/dev/null || true
  if [ "$failures" -ne 0 ] && [ -f "$WORK/radiusd.out" ]; then
    echo "---- FreeRADIUS output (last 60 lines) ----"; tail -n 60 "$WORK/radiusd.out"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

check() {  # check NAME CONDITION-RESULT
  if [ "$2" = 0 ]; then echo "PASS: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}

# ---- FreeRADIUS: a private configuration (clients, users, eap with mschapv2, detail) ----
ip netns add "$NS"
if ! fr_start "$NS" "$WORK" "$SECRET" 'alice	Cleartext-Password := "correct horse battery"'; then
  echo "FAIL: FreeRADIUS did not start"; failures=1; exit 1
fi

write_config() {  # write_config FILE SECRET SERVER...
  local file=$1 secret=$2; shift 2
  {
    echo "[radius]"
    printf 'servers = ['
    local first=1
    for server in "$@"; do
      [ $first = 1 ] || printf ', '
      printf '{ address = "%s", port = %s, acct_port = %s }' "${server%%:*}" "${server#*:}" "$(( ${server#*:} + 1 ))"
      first=0
    done
    echo ']'
    echo "secret = \"$secret\""
    echo 'timeout = "1s"'
    echo 'retries = 1'
    echo 'nas_identifier = "cygnet-test"'
    echo 'accounting = true'
  } > "$file"
}

drive() {  # drive NAME CONFIG USER PASSWORD EXPECT [accounting]
  local name=$1; shift
  local start=$SECONDS rc=0
  timeout 60 ip netns exec "$NS" "$DRIVER" "$@" > "$WORK/$name.out" 2>&1 || rc=$?
  sed "s/^/  [$name] /" "$WORK/$name.out"
  echo "  [$name] exit $rc after $((SECONDS - start)) s"
  return $rc
}

# 1. right password: Access-Accept, same MSK on both sides
write_config "$WORK/good.toml" "$SECRET" 127.0.0.1:1812
rc=0; drive accept "$WORK/good.toml" alice "correct horse battery" accept || rc=$?
check "right password: Access-Accept and the RADIUS MSK equals the peer's" \
  "$([ $rc = 0 ] && grep -q '^msk match: yes' "$WORK/accept.out" && echo 0 || echo 1)"

# 2. wrong password: Access-Reject
rc=0; drive reject "$WORK/good.toml" alice "wrong password" reject || rc=$?
check "wrong password: Access-Reject" "$([ $rc = 0 ] && echo 0 || echo 1)"

# 3. wrong shared secret: FreeRADIUS drops it; a clean, bounded failure with a clear reason
write_config "$WORK/badsecret.toml" "not-the-secret" 127.0.0.1:1812
rc=0; start=$SECONDS; drive badsecret "$WORK/badsecret.toml" alice "correct horse battery" failed || rc=$?
check "wrong shared secret: failed with a clear reason, no hang" \
  "$([ $rc = 0 ] && [ $((SECONDS - start)) -le 20 ] && grep -q 'no RADIUS server answered' "$WORK/badsecret.out" && grep -q 'shared secret' "$WORK/badsecret.out" && echo 0 || echo 1)"
check "wrong shared secret: FreeRADIUS saw the bad Message-Authenticator" \
  "$(grep -qi 'Message-Authenticator' "$WORK/radiusd.out" && echo 0 || echo 1)"

# 4. first server silent (nothing on 127.0.0.9): failover to the second
write_config "$WORK/failover.toml" "$SECRET" 127.0.0.9:1812 127.0.0.1:1812
rc=0; drive failover "$WORK/failover.toml" alice "correct horse battery" accept || rc=$?
check "first server silent: failover to the second, Access-Accept" \
  "$([ $rc = 0 ] && grep -q 'server_timeouts [1-9]' "$WORK/failover.out" && echo 0 || echo 1)"

# 5. accounting Start/Stop, recorded by FreeRADIUS
rc=0; drive accounting "$WORK/good.toml" alice "correct horse battery" accept accounting || rc=$?
session=$(sed -n 's/^accounting session: //p' "$WORK/accounting.out")
detail="$WORK/acct/detail"
check "accounting: Start and Stop acknowledged" "$([ $rc = 0 ] && [ -n "$session" ] && echo 0 || echo 1)"
if [ -f "$detail" ]; then
  recorded=$(grep -c "Acct-Session-Id = \"$session\"" "$detail" || true)
else
  recorded=0
fi
check "accounting: FreeRADIUS recorded Start and Stop for session $session" \
  "$([ "$recorded" = 2 ] && grep -q 'Acct-Status-Type = Start' "$detail" && grep -q 'Acct-Status-Type = Stop' "$detail" && echo 0 || echo 1)"
check "accounting: Stop carries the framed address, octets with gigawords, packets, session time" \
  "$(grep -q 'Framed-IP-Address = 198.51.100.77' "$detail" && grep -q 'Acct-Input-Gigawords = 1' "$detail" && grep -q 'Acct-Input-Octets = 1000' "$detail" && grep -q 'Acct-Output-Octets = 5000' "$detail" && grep -q 'Acct-Input-Packets = 42' "$detail" && grep -q 'Acct-Session-Time = 17' "$detail" && grep -q 'Acct-Terminate-Cause = User-Request' "$detail" && grep -q 'NAS-Identifier = "cygnet-test"' "$detail" && echo 0 || echo 1)"

# 6. a server answering under another secret: radcli only logs the Response Authenticator
#    mismatch, so the client must refuse the Access-Accept itself (its keys do not decrypt)
ip netns exec "$NS" /usr/bin/python3 "$(dirname "$0")/radius_forger.py" 127.0.0.1 1912 "another-secret" > "$WORK/forger.out" 2>&1 &
FAKE_PID=$!
sleep 0.5
write_config "$WORK/forged.toml" "$SECRET" 127.0.0.1:1912
rc=0; drive forged "$WORK/forged.toml" alice "correct horse battery" failed || rc=$?
check "a server with another secret: its Access-Accept is refused (keys do not decrypt)" \
  "$([ $rc = 0 ] && grep -q 'do not decrypt under our shared secret' "$WORK/forged.out" && echo 0 || echo 1)"

echo "radius: $failures failure(s)"
[ "$failures" -eq 0 ]
