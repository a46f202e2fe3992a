#!/bin/sh
# Regenerates the stored aapt outputs that tests/corpus/apk-vs-aapt.test.ts compares eduscan against
# (expected values come from the real tool, never typed by hand).
# Usage: tests/oracle/gen-aapt.sh [corpus-dir]        (default: $EDUSCAN_CORPUS)
# For every file in <corpus>/apk/ (the .aab too: aapt's verdict on it is part of the record) and every *.apk
# under tests/fixtures/ (as fixtures--<dir>--<name>), writes tests/oracle/aapt/<name>.badging.txt and
# <name>.permissions.txt:
#   line 1  "# exit=<code>"
#   line 2  "# aapt dump <what> <basename>"
#   then aapt's stdout verbatim, a line "# stderr:", then its stderr verbatim.
# tests/oracle/aapt/VERSION.txt records `aapt version`. Debian's aapt (v0.2-debian) was used.
# Derived inputs: aapt refuses a few corpus files at the zip layer (Janus prefix, NUL in an entry name) although
# their entries are intact; those entries are re-packed unchanged into a plain zip with Python's zipfile and aapt
# reads that, stored as <basename>.repacked.badging.txt / .repacked.permissions.txt.
set -u
CORPUS="${1:-${EDUSCAN_CORPUS:?set EDUSCAN_CORPUS or pass the corpus directory}}"
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/aapt"
FIXTURES="$HERE/../fixtures"
mkdir -p "$OUT"
aapt version >"$OUT/VERSION.txt" 2>&1
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# dump <file> <record name>: both dumps of one file into $OUT/<record name>.{badging,permissions}.txt
dump() {
  for what in badging permissions; do
    # Run beside the file so messages name it without this machine's path.
    (cd "$(dirname "$1")" && aapt dump "$what" "$(basename "$1")") >"$TMP/stdout" 2>"$TMP/stderr"
    code=$?
    {
      echo "# exit=$code"
      echo "# aapt dump $what $2"
      cat "$TMP/stdout"
      echo "# stderr:"
      cat "$TMP/stderr"
    } >"$OUT/$2.$what.txt"
  done
}
for apk in "$CORPUS"/apk/*; do
  [ -f "$apk" ] && dump "$apk" "$(basename "$apk")"
done
# Fixtures are recorded as fixtures--<dir>--<name> so they never collide with corpus names.
(cd "$FIXTURES" && find . -name '*.apk' -type f | sort) | while IFS= read -r rel; do
  dump "$FIXTURES/$rel" "fixtures--$(echo "${rel#./}" | sed 's|/|--|g')"
done
for name in fdroidserver__janus.apk androguard__v1-only-with-nul-in-entry-name.apk; do
  [ -f "$CORPUS/apk/$name" ] || continue
  python3 - "$CORPUS/apk/$name" "$TMP/$name" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zin, zipfile.ZipFile(sys.argv[2], 'w') as zout:
    for info in zin.infolist():
        zout.writestr(info.filename, zin.read(info), compress_type=info.compress_type)
PY
  dump "$TMP/$name" "$name.repacked"
done
