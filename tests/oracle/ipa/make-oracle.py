#!/usr/bin/env python3
"""Independent readings of the iOS corpus, stored for tests/ipa/*.test.ts.

  python3 tests/oracle/ipa/make-oracle.py ../shared/corpus

Writes, next to this script:
  plists.json        python plistlib's reading of every plist-like file in corpus/plist and inside corpus/ipa
                     (*.plist, *.xcprivacy, *.mobileprovision, *.strings, *.xcent; __MACOSX/ and ._* skipped).
                     Provisioning profiles in a CMS envelope are unwrapped with `openssl cms -verify -noverify`.
  macho/<ipa>.objdump.txt, macho/<ipa>.nm.txt
                     raw `llvm-objdump --macho --universal-headers --private-headers` and
                     `llvm-nm --undefined-only --arch=all` output for the main executable of each corpus IPA.
  VERSION.txt        tool versions.

JSON conventions (the tests convert our values the same way): dict -> object, ints within +-(2^53-1) ->
number, others {"$int": "digits"}, non-finite reals {"$real": "nan"|"inf"|"-inf"}, dates
{"$date": "YYYY-MM-DDTHH:MM:SS[.mmm]Z"}, data {"$data": length, "sha256": hex}, UID {"$uid": n}.
When plistlib rejects a file only because a <data> element holds invalid base64, the element is emptied
and the file parsed again; the entry then has "blankedData": <count>.
"""
import binascii
import datetime
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import zipfile
import plistlib

HERE = os.path.dirname(os.path.abspath(__file__))
SAFE = 2**53 - 1
SUFFIXES = ('.plist', '.xcprivacy', '.mobileprovision', '.strings', '.xcent')


def norm(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if -SAFE <= v <= SAFE else {'$int': str(v)}
    if isinstance(v, float):
        if math.isnan(v):
            return {'$real': 'nan'}
        if math.isinf(v):
            return {'$real': 'inf' if v > 0 else '-inf'}
        return v
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray)):
        return {'$data': len(v), 'sha256': hashlib.sha256(v).hexdigest()}
    if isinstance(v, datetime.datetime):
        ms = v.microsecond // 1000
        return {'$date': v.strftime('%Y-%m-%dT%H:%M:%S') + ('.%03d' % ms if ms else '') + 'Z'}
    if isinstance(v, plistlib.UID):
        return {'$uid': v.data}
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    raise TypeError(type(v))


def unwrap_cms(data):
    with tempfile.NamedTemporaryFile(suffix='.der') as f:
        f.write(data)
        f.flush()
        r = subprocess.run(['openssl', 'cms', '-verify', '-noverify', '-inform', 'DER', '-in', f.name],
                           capture_output=True)
    return r.stdout if r.returncode == 0 else None


def blank_bad_data(content):
    count = 0

    def repl(m):
        nonlocal count
        body = re.sub(rb'\s', b'', m.group(1))
        try:
            binascii.a2b_base64(body)
            return m.group(0)
        except binascii.Error:
            count += 1
            return b'<data></data>'
    return re.sub(rb'<data>(.*?)</data>', repl, content, flags=re.S), count


def read_one(name, data):
    out = {'size': len(data)}
    content = data
    if name.endswith('.mobileprovision') and data[:1] == b'\x30':
        content = unwrap_cms(data)
        out['envelope'] = 'cms'
        if content is None:
            # A damaged envelope (one corpus profile had every 0x0D byte turned into 0x0A): cut the plist out.
            start, end = data.find(b'<?xml'), data.find(b'</plist>')
            if start < 0 or end < start:
                out['error'] = 'CMS'
                return out
            content = data[start:end + len(b'</plist>')]
            out['envelope'] = 'sliced'
    if content.startswith(b'bplist00'):
        out['format'] = 'binary'
        fmt = plistlib.FMT_BINARY
    elif content.lstrip(b'\xef\xbb\xbf \t\r\n').startswith(b'<'):
        out['format'] = 'xml'
        fmt = plistlib.FMT_XML
    else:
        out['format'] = 'text'  # OpenStep / .strings text: plistlib has no reader for it
        return out
    try:
        out['value'] = norm(plistlib.loads(content, fmt=fmt))
    except binascii.Error:
        fixed, count = blank_bad_data(content)
        try:
            out['value'] = norm(plistlib.loads(fixed, fmt=fmt))
            out['blankedData'] = count
        except Exception as e:  # noqa: BLE001
            out['error'] = type(e).__name__
    except Exception as e:  # noqa: BLE001
        out['error'] = type(e).__name__
    return out


def skipped(name):
    return name.startswith('__MACOSX/') or os.path.basename(name).startswith('._') or name.endswith('/')


APP_INFO_RE = re.compile(r'^(?:(?:[^/]+/)?Payload/)?[^/]+\.app/Info\.plist$')


def main_executable(z):
    """The executable named by CFBundleExecutable of the main bundle, found independently of our code."""
    infos = [n for n in z.namelist() if not skipped(n) and APP_INFO_RE.match(n)]
    if len(infos) != 1:
        return None
    info = plistlib.loads(z.read(infos[0]))
    exe = info.get('CFBundleExecutable')
    if not isinstance(exe, str):
        return None
    path = infos[0][: -len('Info.plist')] + exe
    return path if path in z.namelist() else None


def main():
    corpus = os.path.abspath(sys.argv[1])
    items = {}
    for f in sorted(os.listdir(os.path.join(corpus, 'plist'))):
        with open(os.path.join(corpus, 'plist', f), 'rb') as fh:
            items['plist/' + f] = read_one(f, fh.read())
    macho_dir = os.path.join(HERE, 'macho')
    os.makedirs(macho_dir, exist_ok=True)
    for f in sorted(os.listdir(os.path.join(corpus, 'ipa'))):
        path = os.path.join(corpus, 'ipa', f)
        if not zipfile.is_zipfile(path):
            continue
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                n = info.filename
                if skipped(n) or not n.endswith(SUFFIXES):
                    continue
                items['ipa/' + f + '!' + n] = read_one(n, z.read(n))
            exe = main_executable(z)
            if exe is None:
                continue
            with tempfile.NamedTemporaryFile() as t:
                t.write(z.read(exe))
                t.flush()
                od = subprocess.run(['llvm-objdump', '--macho', '--universal-headers', '--private-headers', '--arch=all', t.name],
                                    capture_output=True, text=True)
                nm = subprocess.run(['llvm-nm', '--undefined-only', '--arch=all', t.name],
                                    capture_output=True, text=True)
            with open(os.path.join(macho_dir, f + '.objdump.txt'), 'w') as fh:
                fh.write('# entry: ' + exe + '\n' + od.stdout.replace(t.name, 'EXE'))
            with open(os.path.join(macho_dir, f + '.nm.txt'), 'w') as fh:
                fh.write('# entry: ' + exe + '\n' + nm.stdout.replace(t.name, 'EXE'))
    with open(os.path.join(HERE, 'plists.json'), 'w') as fh:
        json.dump({'items': items}, fh, indent=1, sort_keys=True, ensure_ascii=False)
        fh.write('\n')
    versions = [
        'python ' + sys.version.split()[0],
        subprocess.run(['openssl', 'version'], capture_output=True, text=True).stdout.strip(),
        [line.strip() for line in subprocess.run(['llvm-objdump', '--version'], capture_output=True, text=True).stdout.splitlines() if 'version' in line][0],
    ]
    with open(os.path.join(HERE, 'VERSION.txt'), 'w') as fh:
        fh.write('\n'.join(versions) + '\n')


if __name__ == '__main__':
    main()
