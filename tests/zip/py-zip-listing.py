#!/usr/bin/env python3
"""Oracle for tests/zip/zip-vs-python.test.ts: lists zip archives with Python's zipfile module.

Usage: py-zip-listing.py FILE...   -> one JSON object per line:
  {"file", "ok": true, "entries": [{"name", "raw" (hex of the name bytes), "size", "csize", "crc",
   "method", "flags", "read": {"len", "crc"} | {"error"}}]}
  or {"file", "ok": false, "error": "<exception type>: <message>"}
"""
import json
import sys
import zipfile
import zlib


def raw_name(info):
    # zipfile decodes names as UTF-8 when flag bit 11 is set, else as cp437 (a full byte mapping):
    # encoding back gives the bytes stored in the central directory.
    return info.orig_filename.encode('utf-8' if info.flag_bits & 0x800 else 'cp437')


def listing(path):
    try:
        zf = zipfile.ZipFile(path)
    except Exception as e:  # noqa: BLE001 - the type and message are the oracle's answer
        return {'file': path, 'ok': False, 'error': f'{type(e).__name__}: {e}'}
    entries = []
    with zf:
        for info in zf.infolist():
            raw = raw_name(info)
            entry = {
                'name': raw.decode('utf-8', errors='replace'),
                'raw': raw.hex(),
                'size': info.file_size,
                'csize': info.compress_size,
                'crc': info.CRC,
                'method': info.compress_type,
                'flags': info.flag_bits,
            }
            try:
                data = zf.read(info)
                entry['read'] = {'len': len(data), 'crc': zlib.crc32(data)}
            except Exception as e:  # noqa: BLE001
                entry['read'] = {'error': f'{type(e).__name__}: {e}'}
            entries.append(entry)
    return {'file': path, 'ok': True, 'entries': entries}


for p in sys.argv[1:]:
    print(json.dumps(listing(p)))
