#!/usr/bin/env bash
# The Debian package, end to end: scripts/package builds it (reusing a Release build tree),
# mmdebstrap makes a fresh Debian 12 root, apt-get installs the .deb there — its dependencies
# come from the archive, which proves Depends is complete — and then, in that root:
# `cygnetd --version`, `cygnetctl check /etc/cygnet/cygnet.toml` (the shipped default loads with
# no connections), the conffile and man pages are in place, and `systemd-analyze verify` passes
# on the installed unit with no complaint at all (a deliberately broken copy is verified first,
# so we know the check bites).
#   package.sh BUILD_DIR        exit 0 pass, 1 fail, 77 skipped (not root, a tool missing)
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/../../.." && pwd)
build_dir=$(realpath "${1:-$source_dir/build}")

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (mmdebstrap, chroot)"; exit 77; }
for tool in mmdebstrap systemd-analyze dpkg-deb dpkg-shlibdeps go-md2man; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (scripts/bootstrap installs it)"; exit 77; }
done

fail() { echo "FAIL: $*"; exit 1; }
step() { printf '== %s (%ss)\n' "$1" "$SECONDS"; }

# The machine's Debian archive (deb822 sources), else deb.debian.org.
mirror_lines() {
  local uris="" suites="" file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -r "$file" ] || continue
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in
        URIs:*) uris=${line#URIs:} ;;
        Suites:*) suites=${line#Suites:} ;;
        "")
          [ -n "$uris" ] && [ -n "$suites" ] && emit_stanza "$uris" "$suites"
          uris="" suites="" ;;
      esac
    done <"$file"
    [ -n "$uris" ] && [ -n "$suites" ] && emit_stanza "$uris" "$suites"
    uris="" suites=""
  done
}
emit_stanza() {
  local uri suite
  for uri in $1; do
    for suite in $2; do
      case $suite in bookworm|bookworm-updates|bookworm-security) echo "deb $uri $suite main" ;; esac
    done
  done
}
mapfile -t mirrors < <(mirror_lines | awk '!seen[$0]++')
[ ${#mirrors[@]} -gt 0 ] || mirrors=("deb http://deb.debian.org/debian bookworm main")

work=$(mktemp -d /tmp/cygnet-package-test.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
root=$work/root

step "scripts/package --build-dir $build_dir"
deb=$("$source_dir/scripts/package" --build-dir "$build_dir" | tail -n 1)
[ -f "$deb" ] || fail "scripts/package produced no .deb"
echo "$deb"
dpkg-deb -f "$deb" Depends
cp "$deb" "$work/"
deb_name=$(basename "$deb")

step "fresh Debian 12 root: ${mirrors[*]}"
# systemd is included only so systemd-analyze finds the units ours depends on; the package itself
# is installed by apt-get from the archive, in the root, like an operator would.
mmdebstrap --variant=apt --include=systemd --quiet \
  --customize-hook="copy-in $work/$deb_name /tmp" \
  --customize-hook="chroot \"\$1\" apt-get install -y -q --no-install-recommends /tmp/$deb_name" \
  bookworm "$root" "${mirrors[@]}" >"$work/mmdebstrap.log" 2>&1 ||
  { tail -n 40 "$work/mmdebstrap.log"; fail "mmdebstrap or apt-get install failed"; }
grep -E "^(Setting up|Unpacking) " "$work/mmdebstrap.log" | grep -E "cygnet|spdlog|tomlplusplus|libmnl|libfmt" || true

step "in the root"
chroot "$root" dpkg-query -W -f='${Package} ${Version} ${Status}\n' cygnet | tee "$work/status"
grep -q "install ok installed" "$work/status" || fail "cygnet not installed"
version=$(chroot "$root" cygnetd --version) || fail "cygnetd --version failed"
echo "$version"
expected=$(sed -n 's/^project(cygnet VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
[ "$version" = "cygnetd $expected" ] || fail "cygnetd --version said \"$version\", expected cygnetd $expected"
[ "$(chroot "$root" cygnetctl --version)" = "cygnetctl $expected" ] || fail "cygnetctl --version"
chroot "$root" cygnetctl check /etc/cygnet/cygnet.toml | tee "$work/check" || fail "cygnetctl check of the default config"
grep -q "0 connections" "$work/check" || fail "the default config is expected to have no connections"
# The checker really checks in this root: a broken file is refused.
printf '[daemon]\nlisten = ["not-an-address"]\n' >"$root/tmp/broken.toml"
if chroot "$root" cygnetctl check /tmp/broken.toml >/dev/null 2>&1; then fail "cygnetctl check accepted a broken file"; fi
chroot "$root" dpkg-query -W -f='${Conffiles}\n' cygnet | grep -q "/etc/cygnet/cygnet.toml" ||
  fail "/etc/cygnet/cygnet.toml is not a conffile"
[ "$(stat -c %a "$root/etc/cygnet/cygnet.toml")" = 600 ] || fail "cygnet.toml is not mode 0600"
for page in man8/cygnetd.8.gz man8/cygnetctl.8.gz man5/cygnet.toml.5.gz; do
  [ -s "$root/usr/share/man/$page" ] || fail "man page $page missing"
done
[ -n "$(zgrep -F '[connections.NAME]' "$root/usr/share/man/man5/cygnet.toml.5.gz")" ] || fail "cygnet.toml.5 lacks [connections.NAME]"

step "systemd-analyze verify"
unit=$root/lib/systemd/system/cygnetd.service
[ -f "$unit" ] || fail "cygnetd.service not installed"
verify() {  # prints every complaint; fails on a non-zero exit or any output at all
  local output
  output=$(systemd-analyze verify --root="$root" --man=no "$1" 2>&1) && [ -z "$output" ] && return 0
  echo "$output"
  return 1
}
# First a broken copy (a misspelt hardening key, a missing binary): the check must complain.
cp "$unit" "$unit.orig"
sed -i -e 's/^NoNewPrivileges=/NoNewPrivilege=/' -e 's#^ExecStart=/usr/sbin/cygnetd #ExecStart=/usr/sbin/cygnetd-missing #' "$unit"
if verify cygnetd.service >/dev/null; then fail "systemd-analyze verify accepted a broken unit"; fi
mv "$unit.orig" "$unit"
verify cygnetd.service || fail "systemd-analyze verify complained about cygnetd.service"
for key in "Type=notify" "WatchdogSec=" "ExecReload=/usr/sbin/cygnetctl" "NoNewPrivileges=yes" \
           "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "RuntimeDirectory=cygnet" \
           "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE"; do
  grep -q "^$key" "$unit" || fail "cygnetd.service lacks $key"
done
systemd-analyze security --offline=true --root="$root" cygnetd.service 2>/dev/null | tail -n 1 || true

step "passed"
