// Seeded mutation fuzzing of the binary-plist, XML-plist, .strings, CMS and Mach-O readers and of the
// whole IPA path: bit flips, truncation, random runs, and length/offset fields forced to huge values.
// Only EduscanError may escape.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EduscanError, type Anomaly } from '../../src/errors.js';
import { BufferSource } from '../../src/io/source.js';
import { extractIpaFacts } from '../../src/ipa/ipa.js';
import { parseMachO } from '../../src/ipa/macho.js';
import { readProvisioningProfile } from '../../src/ipa/mobileprovision.js';
import { parsePlist } from '../../src/ipa/plist.js';
import { parseStringsFile } from '../../src/ipa/strings.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { openZip, readEntry } from '../../src/zip/zip.js';
import { FileSource } from '../../src/io/source.js';
import { extractProfilePlist } from '../../src/ipa/mobileprovision.js';
import { CORPUS, FIXTURES, corpusFiles } from '../helpers/corpus.js';
import { buildFat, buildMachO } from './helpers/build-macho.js';
import { binaryPlist, buildZip, hasTool, makeSigner, stringsText, xmlPlist } from './helpers/build-ipa.js';
import { rng } from '../helpers/rng.js';

const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 0x40000000, 0x00010000, 0];

export function mutate(seed: Buffer, r: () => number): Buffer {
  const b = Buffer.from(seed);
  const pick = (n: number) => Math.floor(r() * n);
  switch (pick(6)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + pick(8); i < n && b.length; i++) b[pick(b.length)]! ^= 1 << pick(8);
      return b;
    case 1: // truncation
      return b.subarray(0, pick(b.length + 1));
    case 2: { // a run of random bytes
      const at = pick(b.length);
      for (let i = at, end = Math.min(b.length, at + 1 + pick(16)); i < end; i++) b[i] = pick(256);
      return b;
    }
    case 3: { // a 32-bit field set to a huge value, either byte order, anywhere (often aligned)
      if (b.length < 4) return b;
      const at = r() < 0.5 ? pick(b.length - 3) & ~3 : pick(b.length - 3);
      const v = HUGE[pick(HUGE.length)] as number;
      if (r() < 0.5) b.writeUInt32LE(v, at);
      else b.writeUInt32BE(v, at);
      return b;
    }
    case 4: { // the tail (binary plist trailer) gets a huge 64-bit field
      if (b.length < 32) return b;
      const at = b.length - 32 + (pick(4) * 8);
      b.writeBigUInt64BE(r() < 0.5 ? 0xffffffffffffffffn : BigInt(pick(1 << 30)), at);
      return b;
    }
    default: { // delete or duplicate a slice
      const at = pick(b.length + 1);
      const len = pick(32);
      return r() < 0.5 ? Buffer.concat([b.subarray(0, at), b.subarray(at + len)]) : Buffer.concat([b.subarray(0, at + len), b.subarray(at)]);
    }
  }
}

function fuzz(name: string, seeds: Buffer[], cases: number, seed: number, run: (buf: Buffer) => unknown): void {
  it(`${name}: ${cases} mutated inputs throw only EduscanError`, () => {
    const r = rng(seed);
    let slowest = 0;
    const codes = new Map<string, number>();
    for (let i = 0; i < cases; i++) {
      const input = mutate(seeds[i % seeds.length] as Buffer, r);
      const t0 = performance.now();
      try {
        run(input);
        codes.set('ok', (codes.get('ok') ?? 0) + 1);
      } catch (e) {
        if (!(e instanceof EduscanError)) {
          throw new Error(`case ${i} (seed ${seed}): ${(e as Error).constructor.name}: ${(e as Error).message}\ninput base64: ${input.toString('base64').slice(0, 2000)}`);
        }
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    // A hang shows as the test timeout; the slowest case is printed with FUZZ_VERBOSE=1.
    if (process.env.FUZZ_VERBOSE) console.log(name, Math.round(slowest), JSON.stringify([...codes]));
    // Mutations must reach both outcomes, or the fuzzer is not exercising the reader.
    expect(codes.get('ok') ?? 0).toBeGreaterThan(0);
    expect(cases - (codes.get('ok') ?? 0)).toBeGreaterThan(0);
  });
}

const ctx = () => ({ limits: DEFAULT_LIMITS, anomalies: [] as Anomaly[], entry: 'fuzz' });
const bplistSeeds = [
  readFileSync(join(FIXTURES, 'ipa', 'values.bplist')),
  binaryPlist({ CFBundleIdentifier: 'a.b', List: [1, 2, { k: 'v' }], Nested: { x: [true, false] } }),
];
const xmlSeeds = [readFileSync(join(FIXTURES, 'ipa', 'values.xml'))];
const machoSeeds = [
  buildMachO({ cpu: 'arm64', build: { platform: 2, minos: '13.0', sdk: '17.0' }, cryptid: 0, dylibs: ['/usr/lib/libSystem.B.dylib'], rpaths: ['@executable_path/Frameworks'], codeSignature: true, imports: ['___stack_chk_guard', '_objc_release', '_a'] }),
  buildFat([{ cpu: 'armv7', bytes: buildMachO({ cpu: 'armv7', versionMin: { minos: '9.0', sdk: '11.0' }, imports: ['_x'] }) }, { cpu: 'arm64', bytes: buildMachO({ cpu: 'arm64', imports: ['_y'] }) }]),
  buildFat([{ cpu: 'arm64', bytes: buildMachO({ cpu: 'arm64', bigEndian: true, imports: ['_z'] }) }], { fat64: true }),
];

describe('fuzz', () => {
  fuzz('binary plist', bplistSeeds, 6000, 1, (b) => parsePlist(b, ctx()));
  fuzz('XML plist', xmlSeeds, 3000, 2, (b) => parsePlist(b, ctx()));
  fuzz('.strings', [stringsText({ a: 'b', 'c d': 'e\\"f' }), stringsText({ x: '中文' }, 'utf8')], 2000, 3, (b) => parseStringsFile(b, ctx()));
  fuzz('Mach-O', machoSeeds, 6000, 4, (b) => parseMachO(b, { anomalies: [], entry: 'fuzz' }));
  // Builds the whole pipeline's seed: an IPA with a binary Info.plist, strings, a privacy manifest and a Mach-O.
  const ipa = buildZip({
    'Payload/F.app/Info.plist': binaryPlist({ CFBundleIdentifier: 'f.z', CFBundleExecutable: 'F', NSCameraUsageDescription: 'c' }),
    'Payload/F.app/F': machoSeeds[0] as Buffer,
    'Payload/F.app/zh-Hans.lproj/InfoPlist.strings': stringsText({ NSCameraUsageDescription: '相机' }),
    'Payload/F.app/PrivacyInfo.xcprivacy': xmlPlist({ NSPrivacyTracking: false }),
  });
  fuzz('whole IPA', [ipa], 1500, 5, (b) => {
    const zip = openZip(new BufferSource(b), DEFAULT_LIMITS);
    return extractIpaFacts(zip, { limits: DEFAULT_LIMITS, anomalies: [] });
  });
});

describe.skipIf(!hasTool('openssl'))('fuzz CMS profiles', () => {
  const signer = makeSigner('iPhone Developer: Fuzz (FUZZ000000)');
  const plistBytes = xmlPlist({ Name: 'F', TeamIdentifier: ['T'], Entitlements: { 'get-task-allow': true }, DeveloperCertificates: [signer.certDer] });
  const seeds = [signer.sign(plistBytes), signer.sign(plistBytes, { stream: true })];
  signer.dispose();
  fuzz('CMS profile', seeds, 3000, 6, (b) => readProvisioningProfile(b, { ...ctx(), entry: 'embedded.mobileprovision' }));
});

describe.skipIf(!CORPUS)('fuzz with corpus seeds', () => {
  const loose = CORPUS ? corpusFiles('plist').map((f) => readFileSync(f)).filter((b) => b.length > 0) : [];
  fuzz('corpus plists and profiles', loose, 4000, 7, (b) => {
    const c = ctx();
    return parsePlist(extractProfilePlist(b, c).plist, c);
  });
  // The small real executables (fat armv7+arm64, thin arm64, i386+x86_64).
  const exes: Buffer[] = [];
  for (const [ipa, exe] of [['appinfo__iphone.ipa', 'Payload/AppInfoDemo.app/AppInfoDemo'], ['fastlane__very-capable-app.ipa', 'Payload/very-capable-app.app/very-capable-app'],
    ['appiumjava__TestApp.app.zip', 'TestApp.app/TestApp']] as const) {
    if (!CORPUS) break;
    const zip = openZip(new FileSource(join(CORPUS, 'ipa', ipa)), DEFAULT_LIMITS);
    exes.push(readEntry(zip, zip.get(exe)!));
  }
  fuzz('corpus executables', exes, 1500, 8, (b) => parseMachO(b, { anomalies: [], entry: 'fuzz' }));
});
