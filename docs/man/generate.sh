#!/bin/sh
# Builds one man page from markdown with go-md2man (called by the `man` CMake target).
#   generate.sh GO_MD2MAN VERSION OUT SOURCE.md...
# Sources are concatenated. A source under docs/ other than docs/man (docs/configuration.md) is
# the DESCRIPTION: its "# Title" line becomes "# DESCRIPTION". @PROJECT_VERSION@ and @MAN_DATE@
# are substituted; in-page links ([text](#anchor)) keep their text (a man page has no anchors).
set -eu
md2man=$1 version=$2 out=$3
shift 3
date=$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%Y-%m-%d)
for source in "$@"; do
  case $source in
    */docs/man/*) cat "$source" ;;
    *) sed '1s/^# .*/# DESCRIPTION/' "$source" ;;
  esac
done | sed -e "s/@MAN_DATE@/$date/g" -e "s/@PROJECT_VERSION@/$version/g" \
           -e 's/\[\([^]]*\)\](#[^)]*)/\1/g' > "$out.md"
"$md2man" -in "$out.md" -out "$out.roff"
# A table becomes a list of tagged paragraphs, one per row: the first cell is the tag, the middle
# cells "header: value", the last cell the text. Unlike tbl tables, these wrap at any width.
# (go-md2man writes long cells as tbl text blocks, T{ ... T}: joined back into one line first.)
awk -F '\t' '
  function flush_table(   rows, n, r, cells, c, i, middle) {
    gsub(/T\{\n/, "", body)
    gsub(/\nT\}/, "", body)
    n = split(body, rows, "\n")
    for (r = 1; r <= n; r++) {
      if (rows[r] == "") continue
      c = split(rows[r], cells, "\t")
      if (r == 1) { for (i = 1; i <= c; i++) name[i] = cells[i]; continue }
      print ".TP"
      print cells[1]
      if (c > 2) {
        middle = ""
        for (i = 2; i < c; i++) middle = middle (i > 2 ? "; " : "") name[i] ": " cells[i]
        print "(" middle ")"
        print ".br"
      }
      if (c > 1) print cells[c]
    }
    print ".PP"
  }
  /^\.TS$/ { table = 1; format = 1; body = ""; next }
  /^\.TE$/ { table = 0; flush_table(); next }
  table && format { if ($0 ~ /\.$/) format = 0; next }
  table { body = body $0 "\n"; next }
  { print }
' "$out.roff" > "$out"
rm -f "$out.roff"
