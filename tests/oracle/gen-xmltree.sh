#!/bin/sh
# Regenerates the stored `aapt dump xmltree <apk> AndroidManifest.xml` outputs that tests/axml/axml-vs-aapt.test.ts
# compares eduscan's binary XML decoder against (expected trees come from the real tool, never typed by hand).
# Usage: tests/oracle/gen-xmltree.sh [corpus-dir]        (default: $EDUSCAN_CORPUS)
# For every file in <corpus>/apk/ writes tests/oracle/xmltree/<basename>.txt, and for every
# tests/fixtures/axml/<name>/AndroidManifest.xml writes tests/fixtures/axml/<name>/xmltree.txt
# (aapt reads a bare binary XML file with `aapt dump xmltree <dir-zipped>` only from an archive, so the
# fixture directory is zipped into a temporary APK first):
#   line 1  "# exit=<code>"
#   line 2  "# aapt dump xmltree <basename> AndroidManifest.xml"
#   then aapt's stdout verbatim, a line "# stderr:", then its stderr verbatim.
# Debian's aapt (v0.2-debian) was used; `aapt version` goes to tests/oracle/xmltree/VERSION.txt.
set -u
CORPUS="${1:-${EDUSCAN_CORPUS:?set EDUSCAN_CORPUS or pass the corpus directory}}"
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/xmltree"
FIXTURES="$HERE/../fixtures/axml"
mkdir -p "$OUT"
aapt version >"$OUT/VERSION.txt" 2>&1
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

dump() { # <apk> <label> <out-file>
  aapt dump xmltree "$1" AndroidManifest.xml >"$TMP/stdout" 2>"$TMP/stderr"
  code=$?
  {
    echo "# exit=$code"
    echo "# aapt dump xmltree $2 AndroidManifest.xml"
    cat "$TMP/stdout"
    echo "# stderr:"
    cat "$TMP/stderr"
  } >"$3"
}

for apk in "$CORPUS"/apk/*; do
  [ -f "$apk" ] || continue
  name="$(basename "$apk")"
  dump "$apk" "$name" "$OUT/$name.txt"
done

for dir in "$FIXTURES"/*/; do
  [ -f "$dir/AndroidManifest.xml" ] || continue
  name="$(basename "$dir")"
  rm -f "$TMP/fixture.apk"
  (cd "$dir" && python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for n in sys.argv[2:]: z.write(n)' "$TMP/fixture.apk" AndroidManifest.xml $(ls resources.arsc 2>/dev/null))
  dump "$TMP/fixture.apk" "$name" "$dir/xmltree.txt"
  aapt dump badging "$TMP/fixture.apk" >"$TMP/stdout" 2>"$TMP/stderr"
  code=$?
  { echo "# exit=$code"; echo "# aapt dump badging $name"; cat "$TMP/stdout"; echo "# stderr:"; cat "$TMP/stderr"; } >"$dir/badging.txt"
done
