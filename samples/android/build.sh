#!/usr/bin/env bash
# Rebuilds smartclass.apk from src/ with Debian's aapt and apksigner (v1+v2+v3 signatures) and a throwaway
# key made by keytool. Needs: apt-get install aapt apksigner android-framework-res; a JDK for keytool.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
aapt package -f -M src/AndroidManifest.xml -S src/res -I /usr/share/android-framework-res/framework-res.apk -F "$tmp/unsigned.apk"
keytool -genkeypair -keystore "$tmp/ks.p12" -storetype PKCS12 -storepass eduscan -keypass eduscan -alias sample \
  -keyalg RSA -keysize 2048 -validity 3650 -dname "CN=Smart Class Sample, O=eduscan sample, C=CN" >/dev/null 2>&1
apksigner sign --ks "$tmp/ks.p12" --ks-pass pass:eduscan --ks-key-alias sample --min-sdk-version 21 \
  --v1-signing-enabled true --v2-signing-enabled true --v3-signing-enabled true --out smartclass.apk "$tmp/unsigned.apk"
rm -f smartclass.apk.idsig
aapt dump badging smartclass.apk
