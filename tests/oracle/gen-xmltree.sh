#!/bin/sh
# Regenerates the stored aapt outputs that tests/axml/ compares eduscan's binary XML and resources.arsc
# readers against (expected values come from the real tool, never typed by hand).
# Usage: tests/oracle/gen-xmltree.sh [corpus-dir]        (default: $EDUSCAN_CORPUS; without one, only
#        the fixtures are refreshed)
# - for every file in <corpus>/apk/: tests/oracle/xmltree/<basename>.txt = `aapt dump xmltree <apk> AndroidManifest.xml`
# - for every fixture directory tests/fixtures/axml/<name>/ (AndroidManifest.xml, resources.arsc, res/xml/*.xml),
#   whose files are first zipped into a temporary APK because aapt only reads archives:
#     xmltree.txt                 aapt dump xmltree <apk> AndroidManifest.xml
#     xmltree-<file>.txt          aapt dump xmltree <apk> res/xml/<file>  (each res/xml file)
#     badging.txt                 aapt dump badging <apk>
#     values.txt                  aapt dump --values resources <apk>
# Every output file: line 1 "# exit=<code>", line 2 "# aapt <args>", then aapt's stdout verbatim, a line
# "# stderr:", then its stderr verbatim. Debian's aapt (v0.2-debian) was used; see xmltree/VERSION.txt.
set -u
CORPUS="${1:-${EDUSCAN_CORPUS:-}}"
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/xmltree"
FIXTURES="$HERE/../fixtures/axml"
mkdir -p "$OUT"
aapt version >"$OUT/VERSION.txt" 2>&1
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

run() { # <out-file> <label> <aapt args...>: aapt's output in the format above
  out="$1"; label="$2"; shift 2
  aapt "$@" >"$TMP/stdout" 2>"$TMP/stderr"
  code=$?
  { echo "# exit=$code"; echo "# aapt $label"; cat "$TMP/stdout"; echo "# stderr:"; cat "$TMP/stderr"; } >"$out"
}

if [ -n "$CORPUS" ]; then
  for apk in "$CORPUS"/apk/*; do
    [ -f "$apk" ] || continue
    name="$(basename "$apk")"
    run "$OUT/$name.txt" "dump xmltree $name AndroidManifest.xml" dump xmltree "$apk" AndroidManifest.xml
  done
fi

for dir in "$FIXTURES"/*/; do
  case "$dir" in *-src/) continue ;; esac
  [ -f "$dir/AndroidManifest.xml" ] || continue
  name="$(basename "$dir")"
  apk="$TMP/$name.apk"
  rm -f "$apk"
  (cd "$dir" && python3 -c 'import sys, zipfile, glob
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for n in ["AndroidManifest.xml", "resources.arsc"] + sorted(glob.glob("res/xml/*.xml")):
        try: z.write(n)
        except FileNotFoundError: pass' "$apk")
  run "$dir/xmltree.txt" "dump xmltree $name AndroidManifest.xml" dump xmltree "$apk" AndroidManifest.xml
  for x in "$dir"res/xml/*.xml; do
    [ -f "$x" ] || continue
    base="$(basename "$x")"
    run "$dir/xmltree-$base.txt" "dump xmltree $name res/xml/$base" dump xmltree "$apk" "res/xml/$base"
  done
  run "$dir/badging.txt" "dump badging $name" dump badging "$apk"
  if [ -f "$dir/resources.arsc" ]; then
    run "$dir/values.txt" "dump --values resources $name" dump --values resources "$apk"
  fi
done
