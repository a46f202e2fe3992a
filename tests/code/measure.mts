// Not a test: measures the code pass on a package (npx tsx tests/code/measure.mts <apk> [runs]).
// Prints inflate time, dex scan time (ms per MB of dex), the whole extractApkFacts with and without code,
// and the RSS reached. Used for the figures in the issue 5 report; the bench proper is bench/run.mjs.
import { extractApkFacts } from '../../src/apk/apk.js';
import { scanDex } from '../../src/code/dex-scan.js';
import { loadCodeRules } from '../../src/code/load.js';
import { FileSource } from '../../src/io/source.js';
import { resolveLimits } from '../../src/limits.js';
import { openZip, readEntry } from '../../src/zip/zip.js';

const path = process.argv[2]!;
const runs = Number(process.argv[3] ?? 5);
const limits = resolveLimits();
const t0 = performance.now();
const rules = loadCodeRules();
const loadMs = performance.now() - t0;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let peak = 0;
const sample = (): void => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
const inflate: number[] = [];
const scan: number[] = [];
const withCode: number[] = [];
const noCode: number[] = [];
let dexBytes = 0;
for (let r = 0; r < runs; r++) {
  const src = new FileSource(path);
  const zip = openZip(src, limits);
  dexBytes = 0;
  let ti = 0;
  let ts = 0;
  for (const e of zip.entries.filter((x) => /^classes\d*\.dex$/.test(x.name))) {
    let t = performance.now();
    const b = readEntry(zip, e);
    ti += performance.now() - t;
    dexBytes += b.length;
    t = performance.now();
    scanDex(b, e.name, rules, []);
    ts += performance.now() - t;
    sample();
  }
  inflate.push(ti);
  scan.push(ts);
  src.close();
  for (const [code, into] of [[true, withCode], [false, noCode]] as const) {
    const s = new FileSource(path);
    const t = performance.now();
    extractApkFacts(openZip(s, limits), { limits, anomalies: [], code });
    into.push(performance.now() - t);
    sample();
    s.close();
  }
}
const mb = dexBytes / 1e6;
console.log(JSON.stringify({
  dexMB: +mb.toFixed(1), rulesLoadMs: +loadMs.toFixed(1), inflateMs: +median(inflate).toFixed(1), scanMs: +median(scan).toFixed(1),
  scanMsPerMB: +(median(scan) / mb).toFixed(2), inflateMsPerMB: +(median(inflate) / mb).toFixed(2),
  extractWithCodeMs: +median(withCode).toFixed(1), extractNoCodeMs: +median(noCode).toFixed(1), peakRssMB: +(peak / 1e6).toFixed(0),
}));
