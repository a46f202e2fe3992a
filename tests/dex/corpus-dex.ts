// The DEX files of the corpus APKs (classes*.dex and any *.dex entry), deduplicated by content.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isEduscanError } from '../../src/errors.js';
import { FileSource } from '../../src/io/source.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { corpusFiles } from '../helpers/corpus.js';

export interface CorpusDex {
  /** "<apk basename>!<entry>" */
  name: string;
  bytes: Buffer;
  /** The bytes written to a temporary file, for dexdump. */
  path: string;
}

export function corpusDexFiles(): CorpusDex[] {
  const dir = join(tmpdir(), `eduscan-dex-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  const out: CorpusDex[] = [];
  for (const apk of corpusFiles('apk')) {
    let src: FileSource | undefined;
    try {
      src = new FileSource(apk);
      const zip = openZip(src);
      for (const e of zip.entries) {
        if (!e.name.endsWith('.dex')) continue;
        let bytes: Buffer;
        try {
          bytes = readEntry(zip, e);
        } catch (err) {
          if (isEduscanError(err)) continue;
          throw err;
        }
        const md5 = createHash('md5').update(bytes).digest('hex');
        if (seen.has(md5)) continue;
        seen.add(md5);
        const path = join(dir, `${md5}.dex`);
        writeFileSync(path, bytes);
        out.push({ name: `${basename(apk)}!${e.name}`, bytes, path });
      }
    } catch (err) {
      if (!isEduscanError(err)) throw err;
    } finally {
      src?.close();
    }
  }
  return out;
}
