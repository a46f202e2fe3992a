#!/bin/sh
# Regenerates the stored oracle outputs read by tests/signing (apksigner is a JVM tool: too slow to run in
# every test). Usage: tests/oracle/apksigner/generate.sh [corpus-dir]   (default: $EDUSCAN_CORPUS)
# For every corpus APK and every tests/fixtures/signing/*.apk it writes, under tests/oracle/apksigner/out/:
#   <apk>.min24.txt / <apk>.min1.txt  apksigner verify --print-certs --min-sdk-version N -v
#   <apk>.lineage.txt                 apksigner lineage --in <apk> --print-certs -v
#   <apk>.openssl.txt                 for each META-INF/*.RSA|DSA|EC at the top of META-INF: the SHA-256 of
#                                     every certificate `openssl pkcs7 -inform DER -print_certs` lists
# Each apksigner file: a header with the command, the exit code, stdout, then "# stderr:" and stderr.
# Tools used: Debian apksigner 0.9, OpenSSL 3, python3.
set -u
CORPUS="${1:-${EDUSCAN_CORPUS:?set EDUSCAN_CORPUS or pass the corpus directory}}"
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/out"
mkdir -p "$OUT"
VERSION="$(apksigner --version 2>/dev/null)"

run() { # run <outfile> <header> <command...>
  f="$1"; shift; header="$1"; shift
  {
    echo "# apksigner $VERSION $header"
    "$@" >"$f.stdout" 2>"$f.stderr"
    echo "# exit: $?"
    cat "$f.stdout"
    echo "# stderr:"
    cat "$f.stderr"
  } >"$f"
  rm -f "$f.stdout" "$f.stderr"
}

for apk in "$CORPUS"/apk/*.apk "$HERE"/../../fixtures/signing/*.apk; do
  [ -f "$apk" ] || continue
  name="$(basename "$apk")"
  for min in 24 1; do
    run "$OUT/$name.min$min.txt" "verify --print-certs --min-sdk-version $min -v $name" \
      apksigner verify --print-certs --min-sdk-version "$min" -v "$apk"
  done
  run "$OUT/$name.lineage.txt" "lineage --in $name --print-certs -v" apksigner lineage --in "$apk" --print-certs -v
  python3 - "$apk" >"$OUT/$name.openssl.txt" <<'PY'
import base64, hashlib, re, subprocess, sys, zipfile
print("# openssl pkcs7 -inform DER -print_certs, per META-INF signature block: <entry> <cert #> <sha256 of the DER>")
try:
    z = zipfile.ZipFile(sys.argv[1])
except Exception as e:
    print("# python zipfile cannot open the file:", type(e).__name__)
    sys.exit(0)
for info in z.infolist():
    n = info.filename
    if not n.startswith("META-INF/") or "/" in n[9:] or not n.endswith((".RSA", ".DSA", ".EC")):
        continue
    try:
        data = z.read(info)
    except Exception as e:
        print(n, "unreadable", type(e).__name__)
        continue
    r = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs"], input=data, capture_output=True)
    if r.returncode != 0:
        print(n, "openssl-error")
        continue
    pems = re.findall(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", r.stdout, re.S)
    for i, p in enumerate(pems):
        print(n, i + 1, hashlib.sha256(base64.b64decode(p)).hexdigest())
PY
done
