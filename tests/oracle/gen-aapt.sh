#!/bin/sh
# Regenerates the stored aapt outputs that tests/corpus/apk-vs-aapt.test.ts compares eduscan against
# (expected values come from the real tool, never typed by hand).
# Usage: tests/oracle/gen-aapt.sh [corpus-dir]        (default: $EDUSCAN_CORPUS)
# For every file in <corpus>/apk/ (the .aab too: aapt's verdict on it is part of the record) and every *.apk
# under tests/fixtures/, writes tests/oracle/aapt/<basename>.badging.txt and <basename>.permissions.txt:
#   line 1  "# exit=<code>"
#   line 2  "# aapt dump <what> <basename>"
#   then aapt's stdout verbatim, a line "# stderr:", then its stderr verbatim.
# tests/oracle/aapt/VERSION.txt records `aapt version`. Debian's aapt (v0.2-debian) was used.
set -u
CORPUS="${1:-${EDUSCAN_CORPUS:?set EDUSCAN_CORPUS or pass the corpus directory}}"
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/aapt"
FIXTURES="$HERE/../fixtures"
mkdir -p "$OUT"
aapt version >"$OUT/VERSION.txt" 2>&1
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
{
  for f in "$CORPUS"/apk/*; do echo "$f"; done
  find "$FIXTURES" -name '*.apk' -type f 2>/dev/null | sort
} | while IFS= read -r apk; do
  [ -f "$apk" ] || continue
  name="$(basename "$apk")"
  for what in badging permissions; do
    aapt dump "$what" "$apk" >"$TMP/stdout" 2>"$TMP/stderr"
    code=$?
    {
      echo "# exit=$code"
      echo "# aapt dump $what $name"
      cat "$TMP/stdout"
      echo "# stderr:"
      cat "$TMP/stderr"
    } >"$OUT/$name.$what.txt"
  done
done
