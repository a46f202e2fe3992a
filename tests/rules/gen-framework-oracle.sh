#!/bin/sh
# Stores aapt's reading of the <permission> elements of the AOSP framework manifest (Debian's
# android-framework-res, API 29), the oracle for the permission map's normal/dangerous lists
# (tests/rules/permission-map.test.ts). The output is aapt's own text; the only processing is keeping the
# `E: permission` elements with their attribute lines (awk below), since the full xmltree is 250 KB.
#   sh tests/rules/gen-framework-oracle.sh
set -eu
FW=/usr/share/android-framework-res/framework-res.apk
OUT="$(dirname "$0")/../fixtures/rules/framework-res.permissions.txt"
{
  echo "# aapt dump xmltree $(basename "$FW") AndroidManifest.xml, <permission> elements only"
  echo "# framework-res: $(aapt dump badging "$FW" 2>/dev/null | head -1)"
  echo "# $(dpkg-query -W -f='${Package} ${Version}' android-framework-res 2>/dev/null || echo 'android-framework-res (version unknown)')"
  aapt dump xmltree "$FW" AndroidManifest.xml | awk '
    /^ *E: / { keep = ($0 ~ /^ *E: permission /) }
    keep { print }'
} > "$OUT"
echo "wrote $OUT"
