# FreeRADIUS for the live EAP-RADIUS tests (radius.sh, eap_radius.sh): a private configuration
# (one client on loopback with the shared secret, users from a file, EAP with MSCHAPv2, accounting
# into a detail file) started in a network namespace. Sourced; the caller stops it (fr_stop).
#   fr_start NAMESPACE DIR SECRET USERS  → FR_PID set, FreeRADIUS listening on 127.0.0.1:1812/1813
#   DIR/radiusd.out is its debug output, DIR/acct/detail the accounting it recorded.

FR_PID=""

fr_write_config() {  # DIR SECRET USERS
  local dir=$1 secret=$2 users=$3
  local raddb="$dir/raddb"
  mkdir -p "$raddb" "$dir/acct" "$dir/run" "$dir/log"
  cat > "$raddb/radiusd.conf" <<CONF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $dir/log
raddbdir = $raddb
radacctdir = $dir/acct
name = freeradius
confdir = $raddb
modconfdir = $raddb
run_dir = $dir/run
db_dir = $dir
libdir = /usr/lib/freeradius
pidfile = $dir/run/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = files
  file = $dir/log/radius.log
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 3
  max_requests_per_server = 0
}
client gateway {
  ipaddr = 127.0.0.1
  secret = $secret
  require_message_authenticator = yes
}
modules {
  files {
    filename = $raddb/users
  }
  mschap {
  }
  eap {
    default_eap_type = mschapv2
    timer_expire = 60
    ignore_unknown_eap_types = no
    max_sessions = 1024
    md5 {
    }
    mschapv2 {
    }
  }
  detail {
    filename = $dir/acct/detail
    permissions = 0600
    header = "%t"
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = 1812
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = 1813
  }
  authorize {
    eap {
      ok = return
    }
    files
  }
  authenticate {
    Auth-Type EAP {
      eap
    }
    Auth-Type MS-CHAP {
      mschap
    }
  }
  preacct {
  }
  accounting {
    detail
  }
  post-auth {
  }
}
CONF
  printf '%s\n' "$users" > "$raddb/users"
}

fr_start() {  # NAMESPACE DIR SECRET USERS
  local ns=$1 dir=$2
  fr_write_config "$dir" "$3" "$4"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" freeradius -X -d "$dir/raddb" > "$dir/radiusd.out" 2>&1 &
  FR_PID=$!
  for _ in $(seq 1 50); do
    grep -q "Ready to process requests" "$dir/radiusd.out" 2>/dev/null && return 0
    kill -0 "$FR_PID" 2>/dev/null || break
    sleep 0.2
  done
  grep -q "Ready to process requests" "$dir/radiusd.out"
}

fr_stop() {
  [ -n "$FR_PID" ] || return 0
  kill "$FR_PID" 2>/dev/null || true
  wait "$FR_PID" 2>/dev/null || true
  FR_PID=""
}
