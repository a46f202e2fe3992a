// Seeded mutations of real signature structures (from the committed fixtures): whatever the bytes, the
// parsers throw nothing but EduscanError, parseCertificate and readSigning throw nothing at all, and
// everything ends quickly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePkcs7SignedData } from '../../src/apk/pkcs7.js';
import { readSigning } from '../../src/apk/signing.js';
import { findSigningBlock, parseLineage, parseSchemeBlock } from '../../src/apk/signing-block.js';
import { parseCertificate } from '../../src/apk/x509.js';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { BufferSource } from '../../src/io/source.js';
import { DerReader } from '../../src/util/der.js';
import { entryDataOffset, openZip } from '../../src/zip/zip.js';
import { FIXTURES } from '../helpers/corpus.js';
import { loadSeeds } from './seeds.js';
import { rng as mulberry32 } from '../helpers/rng.js';

const seeds = loadSeeds();

const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 0];

/** One mutation inside [from, to) of a copy of buf. */
function mutate(buf: Buffer, r: () => number, from = 0, to = buf.length): Buffer {
  const b = Buffer.from(buf);
  const at = (): number => from + Math.floor(r() * Math.max(1, to - from));
  switch (Math.floor(r() * 6)) {
    case 0: // bit flips
      for (let i = 1 + Math.floor(r() * 8); i > 0; i--) {
        const p = at();
        if (p < b.length) b[p]! ^= 1 << Math.floor(r() * 8);
      }
      return b;
    case 1: // truncation
      return b.subarray(0, at());
    case 2: // random bytes over a short range
      for (let p = at(), n = 1 + Math.floor(r() * 16); n > 0 && p < b.length; n--, p++) b[p] = Math.floor(r() * 256);
      return b;
    case 3: { // a u32 length prefix set to something huge or empty
      const p = at();
      if (p + 4 <= b.length) b.writeUInt32LE(HUGE[Math.floor(r() * HUGE.length)]!, p);
      return b;
    }
    case 4: { // a DER long-form length set to its maximum
      const p = at();
      if (p + 5 <= b.length) b.set([0x84, 0xff, 0xff, 0xff, 0xff], p);
      return b;
    }
    default: { // a slice repeated (nested structures, duplicated blocks)
      const p = at();
      const n = Math.floor(r() * 64);
      return Buffer.concat([b.subarray(0, p), b.subarray(p, p + n), b.subarray(p)]);
    }
  }
}

function onlyEduscanErrors(run: () => void): 'ok' | 'error' {
  try {
    run();
    return 'ok';
  } catch (e) {
    if (!(e instanceof EduscanError)) throw e;
    expect(e.message).not.toContain('\n');
    return 'error';
  }
}

function walk(r: DerReader, at: number, end: number): void {
  const n = r.node(at, end);
  if (n.constructed) for (const c of r.children(n)) walk(r, c.start, c.end);
}

describe('crashers found by this fuzzer', () => {
  it('a mutated DSA certificate whose key made Node abort in asymmetricKeyDetails', () => {
    const raw = readFileSync(join(FIXTURES, 'crashers', 'OK--x509-dsa-negative-key-asymmetricKeyDetails-abort.bin'));
    const { facts } = parseCertificate(raw, [], 'crasher');
    // `openssl x509 -inform DER -text` on this file: "Public Key Algorithm: dsaEncryption", "Public-Key: (1024 bit)".
    expect(facts.keyAlgorithm).toBe('dsa');
    expect(facts.keySize).toBe(1024);
  });
});

describe('signature parsers under seeded mutation', () => {
  it('DER reader and PKCS#7: 3000 mutated blocks', () => {
    const r = mulberry32(0x5eed0001);
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const seed = seeds.pkcs7[i % seeds.pkcs7.length]!.bytes;
      const m = mutate(seed, r);
      if (onlyEduscanErrors(() => parsePkcs7SignedData(m, 'fuzz')) === 'error') errors++;
      onlyEduscanErrors(() => walk(new DerReader(m, 0, 'fuzz', 64), 0, m.length));
    }
    expect(errors).toBeGreaterThan(300); // the mutations do reach the error paths
  });

  it('certificates: 2000 mutated certificates never throw, the digest always covers the bytes', () => {
    const r = mulberry32(0x5eed0002);
    let unparsable = 0;
    for (let i = 0; i < 2000; i++) {
      const m = mutate(seeds.certificates[i % seeds.certificates.length]!, r);
      const anomalies: Anomaly[] = [];
      const c = parseCertificate(m, anomalies, 'fuzz');
      expect(c.facts.certSha256).toMatch(/^[0-9a-f]{64}$/);
      if (anomalies.length > 0) unparsable++;
    }
    expect(unparsable).toBeGreaterThan(200);
  });

  it('v2 / v3 / v3.1 scheme blocks and lineages: 4000 mutated values', () => {
    const r = mulberry32(0x5eed0003);
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const { scheme, value } = seeds.schemeBlocks[i % seeds.schemeBlocks.length]!;
      onlyEduscanErrors(() => {
        const parsed = parseSchemeBlock(mutate(value, r), 0, scheme);
        for (const e of parsed.errors) expect(e).toBeInstanceOf(EduscanError);
        errors += parsed.errors.length;
      }) === 'error' && errors++;
    }
    for (let i = 0; i < 1000; i++) {
      if (onlyEduscanErrors(() => parseLineage(mutate(seeds.lineages[i % seeds.lineages.length]!, r), 0)) === 'error') errors++;
    }
    expect(errors).toBeGreaterThan(500);
  });

  it('readSigning on 1500 mutated APKs (signing block, META-INF, anywhere), with and without verify', () => {
    const r = mulberry32(0x5eed0004);
    const targets = seeds.apks.map(({ bytes }) => {
      const zip = openZip(new BufferSource(bytes));
      const block = findSigningBlock(zip, []);
      const meta = zip.entries.filter((e) => e.name.startsWith('META-INF/')).map((e) => {
        const start = entryDataOffset(zip, e);
        return [start, start + e.compressedSize] as const;
      });
      return { bytes, regions: [...(block ? [[block.offset, zip.cdOffset] as const] : []), ...meta] };
    });
    let zipErrors = 0;
    for (let i = 0; i < 1500; i++) {
      const { bytes, regions } = targets[i % targets.length]!;
      const region = r() < 0.75 && regions.length > 0 ? regions[Math.floor(r() * regions.length)]! : ([0, bytes.length] as const);
      const m = mutate(bytes, r, region[0], region[1]);
      let zip;
      try {
        zip = openZip(new BufferSource(m));
      } catch (e) {
        expect(e).toBeInstanceOf(EduscanError);
        zipErrors++;
        continue;
      }
      const anomalies: Anomaly[] = [];
      readSigning(zip, { anomalies, verify: i % 2 === 0 });
      for (const a of anomalies) expect(a.detail).not.toContain('\n');
    }
    expect(zipErrors).toBeLessThan(1500 / 2);
  });
});
