// DEX-heavy APKs for `npm run bench` (issue 5; never committed): the sample APK plus real dex files taken
// from the corpus APKs (distinct by content, copied deflated as they were), renamed classes2.dex …
// classesN.dex until there are at least `dexMB` megabytes of dex; optionally `mediaMB` of incompressible
// stored media, like an education app that ships its lesson videos.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { FileSource } from '../dist/io/source.js';
import { entryDataOffset, openZip } from '../dist/zip/zip.js';
import { writeZip } from './zip-writer.mjs';

const DEX_ENTRY = /\.dex$/;
const MEDIA_BLOB = 8 * 1024 * 1024;

function rawEntries(path, filter) {
  const src = new FileSource(path);
  try {
    const zip = openZip(src);
    return zip.entries.filter(filter).map((e) => ({ name: e.name, method: e.method, crc: e.crc, size: e.uncompressedSize, data: src.read(entryDataOffset(zip, e), e.compressedSize) }));
  } finally {
    src.close();
  }
}

/** Returns { dexFiles, dexMB } of what was written. */
export function makeDexHeavyApk(path, { sample, corpus, dexMB = 30, mediaMB = 0 }) {
  const entries = rawEntries(sample, () => true);
  let dexBytes = entries.filter((e) => DEX_ENTRY.test(e.name)).reduce((n, e) => n + e.size, 0);
  const seen = new Set();
  let n = entries.filter((e) => /^classes\d*\.dex$/.test(e.name)).length;
  for (const f of readdirSync(corpus).filter((x) => x.endsWith('.apk')).sort()) {
    if (dexBytes >= dexMB * 1e6) break;
    let dex;
    try {
      dex = rawEntries(join(corpus, f), (e) => DEX_ENTRY.test(e.name) && e.method === 8 && e.uncompressedSize > 64 * 1024);
    } catch {
      continue; // hostile corpus files: not needed here
    }
    for (const e of dex) {
      const key = createHash('md5').update(e.data).digest('hex');
      if (seen.has(key) || dexBytes >= dexMB * 1e6) continue;
      seen.add(key);
      n++;
      entries.push({ ...e, name: n === 1 ? "classes.dex" : `classes${n}.dex` });
      dexBytes += e.size;
    }
  }
  for (let i = 0; i * MEDIA_BLOB < mediaMB * 1e6; i++) {
    const data = randomBytes(MEDIA_BLOB);
    entries.push({ name: `assets/video/lesson-${i}.mp4`, method: 0, crc: crc32(data), size: data.length, data });
  }
  writeZip(path, entries);
  return { dexFiles: n, dexMB: +(dexBytes / 1e6).toFixed(1) };
}
