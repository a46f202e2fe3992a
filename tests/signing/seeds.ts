// Real signature structures pulled out of the committed fixture APKs: fuzz seeds and parser inputs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePkcs7SignedData } from '../../src/apk/pkcs7.js';
import { ATTR_PROOF_OF_ROTATION, BLOCK_ID, findSigningBlock, parseSchemeBlock, type SchemeName } from '../../src/apk/signing-block.js';
import { BufferSource } from '../../src/io/source.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { FIXTURES } from '../helpers/corpus.js';

export interface Seeds {
  apks: { name: string; bytes: Buffer }[];
  pkcs7: { name: string; bytes: Buffer }[];
  certificates: Buffer[];
  schemeBlocks: { scheme: SchemeName; value: Buffer }[];
  lineages: Buffer[];
}

const SCHEMES: Record<number, SchemeName> = { [BLOCK_ID.V2]: 'v2', [BLOCK_ID.V3]: 'v3', [BLOCK_ID.V31]: 'v3.1' };

export function loadSeeds(): Seeds {
  const dir = join(FIXTURES, 'signing');
  const seeds: Seeds = { apks: [], pkcs7: [], certificates: [], schemeBlocks: [], lineages: [] };
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.apk')).sort()) {
    const bytes = readFileSync(join(dir, name));
    seeds.apks.push({ name, bytes });
    const zip = openZip(new BufferSource(bytes));
    for (const e of zip.entries) {
      if (/^META-INF\/[^/]+\.(RSA|DSA|EC)$/.test(e.name)) {
        const block = readEntry(zip, e);
        seeds.pkcs7.push({ name: `${name}!${e.name}`, bytes: block });
        seeds.certificates.push(...parsePkcs7SignedData(block, e.name).certificates.map((c) => c.raw));
      }
    }
    for (const pair of findSigningBlock(zip, [])?.pairs ?? []) {
      const scheme = SCHEMES[pair.id];
      if (!scheme) continue;
      const value = zip.source.read(pair.offset, pair.length);
      seeds.schemeBlocks.push({ scheme, value });
      for (const s of parseSchemeBlock(value, pair.offset, scheme).signers) {
        seeds.certificates.push(...s.certificates.map((c) => c.raw));
        seeds.lineages.push(...s.attributes.filter((a) => a.id === ATTR_PROOF_OF_ROTATION).map((a) => a.value));
      }
    }
  }
  return seeds;
}
