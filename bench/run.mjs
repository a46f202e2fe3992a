#!/usr/bin/env node
// npm run bench: speed and memory as ratios against baselines measured in the same run.
//  1. a ~150 MB APK with incompressible assets (generated here, never committed): eduscan scan vs md5sum,
//     wall time and peak RSS (GNU time), median of RUNS;
//  2. a ~150 MB IPA: the sample IPA's plists and profile, a ~100 MB arm64 executable (BENCH_IPA_EXE_MB) that
//     deflates like real ones (bench/ipa-gen.mjs), and incompressible media; same measures;
//  3. DEX-heavy APKs (issue 5): the sample APK plus real dex files from the corpus (≥ BENCH_DEX_MB of dex in
//     several classesN.dex), alone and with 100 MB of incompressible media; full scan vs --no-code, peak RSS;
//  4. the whole corpus (when EDUSCAN_CORPUS or ../shared/corpus exists) in one eduscan call vs
//     `aapt dump badging` + `md5sum` per file, with two floors: Node hashing the same files and nothing else
//     (bench/hash-only.mjs), and md5sum over all of them in one call.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { FileSource } from '../dist/io/source.js';
import { entryDataOffset, openZip } from '../dist/zip/zip.js';
import { makeDexHeavyApk } from './dex-gen.mjs';
import { buildBigMachO, deflatedEntry } from './ipa-gen.mjs';
import { writeZip } from './zip-writer.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET_MB = Number(process.env.BENCH_MB ?? 150);
const IPA_EXE_MB = Number(process.env.BENCH_IPA_EXE_MB ?? 100);
const DEX_MB = Number(process.env.BENCH_DEX_MB ?? 32);
const BIN = join(ROOT, 'bin', 'eduscan.js');
mkdirSync(OUT, { recursive: true });

function makeBigApk(path) {
  const src = new FileSource(join(ROOT, 'samples', 'android', 'smartclass.apk'));
  const zip = openZip(src);
  const entries = zip.entries.map((e) => ({ name: e.name, method: e.method, crc: e.crc, size: e.uncompressedSize, data: src.read(entryDataOffset(zip, e), e.compressedSize) }));
  src.close();
  const blob = 8 * 1024 * 1024;
  for (let i = 0; i * blob < TARGET_MB * 1e6; i++) {
    const data = randomBytes(blob);
    entries.push({ name: `assets/media/blob-${i}.bin`, method: 0, crc: crc32(data), size: data.length, data });
  }
  writeZip(path, entries);
}

/** The sample IPA with its executable swapped for a big one, plus media up to TARGET_MB. */
function makeBigIpa(path) {
  const src = new FileSource(join(ROOT, 'samples', 'ios', 'eduscan-sample.ipa'));
  const zip = openZip(src);
  const app = 'Payload/SmartClass.app/';
  const entries = zip.entries.filter((e) => e.name !== `${app}SmartClass`)
    .map((e) => ({ name: e.name, method: e.method, crc: e.crc, size: e.uncompressedSize, data: src.read(entryDataOffset(zip, e), e.compressedSize) }));
  src.close();
  const exe = buildBigMachO({ size: IPA_EXE_MB * 1e6 });
  entries.push(deflatedEntry(`${app}SmartClass`, exe.bytes));
  let total = entries.reduce((n, e) => n + e.data.length, 0);
  const blob = 8 * 1024 * 1024;
  for (let i = 0; total < TARGET_MB * 1e6; i++) {
    const data = randomBytes(Math.min(blob, Math.max(4096, Math.ceil(TARGET_MB * 1e6 - total))));
    entries.push({ name: `${app}media/lesson-${i}.mp4`, method: 0, crc: crc32(data), size: data.length, data });
    total += data.length;
  }
  writeZip(path, entries);
}

/** Size and compressed size (MB) of an IPA's main executable, for the table. */
function executableShare(path) {
  const src = new FileSource(path);
  const e = openZip(src).entries.find((x) => x.name === 'Payload/SmartClass.app/SmartClass');
  src.close();
  return { exeMB: +(e.uncompressedSize / 1e6).toFixed(1), exeDeflatedMB: +(e.compressedSize / 1e6).toFixed(1) };
}

/** Wall seconds and peak RSS (MB) of one command, from GNU time. */
function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').pop();
  const [wall, rssKb] = last.split(' ').map(Number);
  return { wall, rssMb: rssKb / 1024 };
}

/** Same with a precise clock, for whole shell pipelines. */
function wallOf(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compareOnFile(label, path) {
  timed('md5sum', [path]); // warm the page cache
  const base = [];
  const ours = [];
  const rss = [];
  for (let i = 0; i < RUNS; i++) {
    base.push(wallOf(() => execFileSync('md5sum', [path])));
    const t = process.hrtime.bigint();
    const r = timed(process.execPath, [BIN, 'scan', path, '--format', 'json']);
    ours.push(Number(process.hrtime.bigint() - t) / 1e9);
    rss.push(r.rssMb);
  }
  const row = { label, sizeMB: +(statSize(path) / 1e6).toFixed(1), md5sumS: +median(base).toFixed(3), eduscanS: +median(ours).toFixed(3), ratio: +(median(ours) / median(base)).toFixed(2), peakRssMB: +Math.max(...rss).toFixed(1), targetRatio: 1.35, targetRssMB: 120 };
  return row;
}

function statSize(p) {
  return Number(execFileSync('stat', ['-c', '%s', p]).toString().trim());
}

/** Full scan vs --no-code on one package, runs interleaved so that drift in the machine's load hits both. */
function codeVsNoCode(label, path, extra) {
  const full = [];
  const noCode = [];
  const rss = [];
  const once = (args) => {
    const t = process.hrtime.bigint();
    const r = timed(process.execPath, [BIN, 'scan', path, '--format', 'json', ...args]);
    return { wall: Number(process.hrtime.bigint() - t) / 1e9, rss: r.rssMb };
  };
  once([]); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    const f = once([]);
    full.push(f.wall);
    rss.push(f.rss);
    noCode.push(once(['--no-code']).wall);
  }
  return { label, sizeMB: +(statSize(path) / 1e6).toFixed(1), ...extra, noCodeS: +median(noCode).toFixed(3), fullS: +median(full).toFixed(3), ratio: +(median(full) / median(noCode)).toFixed(2), peakRssMB: +Math.max(...rss).toFixed(1), targetRatio: 1.15, targetRssMB: 200 };
}

const results = { node: process.version, runs: RUNS, loadAvgAtStart: loadavg().map((x) => +x.toFixed(2)), packages: [], dex: [], corpus: undefined };
const bigApk = join(OUT, 'big.apk');
if (!existsSync(bigApk)) makeBigApk(bigApk);
results.packages.push(compareOnFile('apk', bigApk));
const bigIpa = join(OUT, `big-exe${IPA_EXE_MB}.ipa`);
if (!existsSync(bigIpa)) makeBigIpa(bigIpa);
results.packages.push({ ...compareOnFile('ipa', bigIpa), ...executableShare(bigIpa) });

const corpus = process.env.EDUSCAN_CORPUS ?? join(ROOT, '..', 'shared', 'corpus');
if (existsSync(join(corpus, 'apk'))) {
  for (const mediaMB of [0, 100]) {
    const path = join(OUT, `dex${DEX_MB}${mediaMB ? `-media${mediaMB}` : ''}.apk`);
    const made = makeDexHeavyApk(path, { sample: join(ROOT, 'samples', 'android', 'smartclass.apk'), corpus: join(corpus, 'apk'), dexMB: DEX_MB, mediaMB });
    results.dex.push(codeVsNoCode(mediaMB ? `dex + ${mediaMB} MB media` : 'dex only', path, made));
  }
}
if (existsSync(join(corpus, 'apk'))) {
  const apks = readdirSync(join(corpus, 'apk')).filter((f) => f.endsWith('.apk')).sort().map((f) => join(corpus, 'apk', f));
  // One call over every APK: with DEX code (SDK inventory, sensitive APIs) and without it (--no-code: what
  // androguard's manifest + permissions + MD5 job covers).
  const oneCall = (extra) => {
    const times = [];
    for (let i = 0; i < RUNS; i++) times.push(wallOf(() => spawnSync(process.execPath, [BIN, 'scan', ...extra, ...apks, '--format', 'json'], { stdio: 'ignore' })));
    return +median(times).toFixed(3);
  };
  const withCode = oneCall([]);
  const noCode = oneCall(['--no-code']);
  // Floors in the same run: Node started and the same files hashed (MD5 + SHA-256) by eduscan's hash module and
  // nothing else, and md5sum over all of them in one call.
  const hashOnlyTimes = [];
  for (let i = 0; i < RUNS; i++) hashOnlyTimes.push(wallOf(() => spawnSync(process.execPath, [join(ROOT, 'bench', 'hash-only.mjs'), ...apks], { stdio: 'ignore' })));
  const md5sumOneCall = wallOf(() => spawnSync('md5sum', apks, { stdio: 'ignore' }));
  const aapt = wallOf(() => {
    for (const f of apks) {
      spawnSync('aapt', ['dump', 'badging', f], { stdio: 'ignore' });
      spawnSync('md5sum', [f], { stdio: 'ignore' });
    }
  });
  results.corpus = { files: apks.length, eduscanOneCallS: withCode, eduscanNoCodeOneCallS: noCode, nodeHashOnlyS: +median(hashOnlyTimes).toFixed(3), md5sumOneCallS: +md5sumOneCall.toFixed(3), aaptBadgingPlusMd5sumPerFileS: +aapt.toFixed(3), androguardReferenceS: 0.45, targetS: 0.225, androguardNote: 'androguard is not installable here (no PyPI); 0.45 s is the figure quoted in issue 2, not measured in this run' };
}

writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 2));
results.loadAvgAtEnd = loadavg().map((x) => +x.toFixed(2));
console.table(results.packages);
if (results.dex.length) console.table(results.dex);
if (results.corpus) console.table([results.corpus]);
