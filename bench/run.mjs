#!/usr/bin/env node
// npm run bench: speed and memory as ratios against baselines measured in the same run.
//  1. a ~150 MB APK with incompressible assets (generated here, never committed): eduscan scan vs md5sum,
//     wall time and peak RSS (GNU time), median of RUNS;
//  2. a ~150 MB IPA: the sample IPA's plists and profile, a ~100 MB arm64 executable (BENCH_IPA_EXE_MB) that
//     deflates like real ones (bench/ipa-gen.mjs), and incompressible media; same measures;
//  3. the whole corpus (when EDUSCAN_CORPUS or ../shared/corpus exists) in one eduscan call vs
//     `aapt dump badging` + `md5sum` per file.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { FileSource } from '../dist/io/source.js';
import { entryDataOffset, openZip } from '../dist/zip/zip.js';
import { buildBigMachO, deflatedEntry } from './ipa-gen.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET_MB = Number(process.env.BENCH_MB ?? 150);
const IPA_EXE_MB = Number(process.env.BENCH_IPA_EXE_MB ?? 100);
const BIN = join(ROOT, 'bin', 'eduscan.js');
mkdirSync(OUT, { recursive: true });

/** A zip writer for stored entries plus entries copied raw from another zip. */
function writeZip(path, entries) {
  const fd = openSync(path, 'w');
  let offset = 0;
  const central = [];
  const put = (buf) => { writeSync(fd, buf); offset += buf.length; };
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0); h.writeUInt16LE(20, 4); h.writeUInt16LE(0x0800, 6); h.writeUInt16LE(e.method, 8);
    h.writeUInt32LE(e.crc >>> 0, 14); h.writeUInt32LE(e.data.length, 18); h.writeUInt32LE(e.size, 22); h.writeUInt16LE(name.length, 26);
    const at = offset;
    put(h); put(name); put(e.data);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(20, 4); c.writeUInt16LE(20, 6); c.writeUInt16LE(0x0800, 8); c.writeUInt16LE(e.method, 10);
    c.writeUInt32LE(e.crc >>> 0, 16); c.writeUInt32LE(e.data.length, 20); c.writeUInt32LE(e.size, 24); c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(at, 42);
    central.push(Buffer.concat([c, name]));
  }
  const cdAt = offset;
  for (const c of central) put(c);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(central.length, 8); end.writeUInt16LE(central.length, 10);
  end.writeUInt32LE(offset - cdAt, 12); end.writeUInt32LE(cdAt, 16);
  put(end);
  closeSync(fd);
}

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

const results = { node: process.version, runs: RUNS, packages: [], corpus: undefined };
const bigApk = join(OUT, 'big.apk');
if (!existsSync(bigApk)) makeBigApk(bigApk);
results.packages.push(compareOnFile('apk', bigApk));
const bigIpa = join(OUT, `big-exe${IPA_EXE_MB}.ipa`);
if (!existsSync(bigIpa)) makeBigIpa(bigIpa);
results.packages.push({ ...compareOnFile('ipa', bigIpa), ...executableShare(bigIpa) });

const corpus = process.env.EDUSCAN_CORPUS ?? join(ROOT, '..', 'shared', 'corpus');
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
  const aapt = wallOf(() => {
    for (const f of apks) {
      spawnSync('aapt', ['dump', 'badging', f], { stdio: 'ignore' });
      spawnSync('md5sum', [f], { stdio: 'ignore' });
    }
  });
  results.corpus = { files: apks.length, eduscanOneCallS: withCode, eduscanNoCodeOneCallS: noCode, aaptBadgingPlusMd5sumPerFileS: +aapt.toFixed(3), androguardReferenceS: 0.45, androguardNote: 'androguard is not installable here (no PyPI); 0.45 s is the figure quoted in issue 2, not measured in this run' };
}

writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 2));
console.table(results.packages);
if (results.corpus) console.table([results.corpus]);
