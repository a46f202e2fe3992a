#!/usr/bin/env bash
# Copies a few small Apache-2.0 dex files out of the corpus into tests/fixtures/dex/ and stores what Debian's
# dexdump prints for them (`dexdump -d`), so the DEX reader is compared with dexdump without the corpus.
# Usage: EDUSCAN_CORPUS=../shared/corpus tests/dex/gen-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${EDUSCAN_CORPUS:-../shared/corpus}"
out=tests/fixtures/dex
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# <corpus apk> <entry> <fixture name>
while read -r apk entry name; do
  unzip -p "$corpus/apk/$apk" "$entry" > "$out/$name.dex"
  dexdump -d "$out/$name.dex" > "$out/$name.dexdump.txt" 2>/dev/null
  sed -i "s|$out/||" "$out/$name.dexdump.txt"
done <<'LIST'
androguard__TC-debug.apk classes.dex androguard-tc-debug
androguard__multidex.apk classes.dex androguard-multidex-1
androguard__multidex.apk classes2.dex androguard-multidex-2
apktool__dynamic_dex.apk assets/dynamic.dex apktool-dynamic
apktool__library.apk classes.dex apktool-library
LIST
