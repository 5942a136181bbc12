#!/usr/bin/env bash
# The generated man pages render without groff warnings, and cygnet.toml(5) — generated from
# docs/configuration.md — holds every section heading and every key of that document.
#   man_pages_test.sh SOURCE_DIR MAN_DIR
set -euo pipefail
source_dir=$1 man_dir=$2
command -v groff >/dev/null || { echo "SKIP: groff missing"; exit 77; }
status=0
for page in cygnetd.8 cygnetctl.8 cygnet.toml.5; do
  file=$man_dir/$page
  if [ ! -s "$file" ]; then echo "FAIL: $file not generated"; status=1; continue; fi
  # -k: preconv, as man(1) does for UTF-8; -ww: every warning.
  warnings=$(groff -k -man -Tutf8 -ww -z "$file" 2>&1) || { echo "FAIL: groff failed on $page"; status=1; }
  if [ -n "$warnings" ]; then echo "FAIL: groff warnings for $page:"; echo "$warnings"; status=1; fi
done
[ "$status" -eq 0 ] || exit 1

rendered=$(MANWIDTH=200 groff -k -man -Tutf8 -P-cbou "$man_dir/cygnet.toml.5" 2>/dev/null)
doc=$source_dir/docs/configuration.md
checked=0
# Every "## `[section]`" heading, e.g. [daemon], [connections.NAME], [[connections.NAME.children]].
while IFS= read -r section; do
  checked=$((checked + 1))
  grep -qF -- "$section" <<<"$rendered" || { echo "FAIL: section $section missing from cygnet.toml.5"; status=1; }
done < <(sed -n 's/^## `\(\[.*\]\)`$/\1/p' "$doc")
sections=$checked
[ "$sections" -ge 3 ] || { echo "FAIL: only $sections section headings found in $doc"; exit 1; }
# Every key in the first column of a key table, as a tag line of its own in the man page.
while IFS= read -r key; do
  checked=$((checked + 1))
  grep -qE "^ *${key}( |\$)" <<<"$rendered" || { echo "FAIL: key $key missing from cygnet.toml.5"; status=1; }
done < <(sed -n 's/^| `\([a-z_]*\)` | .*/\1/p' "$doc")
echo "cygnet.toml.5: $sections sections, $((checked - sections)) keys checked"
version=$(sed -n 's/^project(cygnet VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
grep -qF "cygnet $version" "$man_dir/cygnetd.8" || { echo "FAIL: version $version missing from cygnetd.8"; status=1; }
exit "$status"
