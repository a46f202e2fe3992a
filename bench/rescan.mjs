#!/usr/bin/env node
// npm run bench:rescan — the registry re-scan on a generated registry (never committed: bench/out/):
//  1. BENCH_REGISTRY_N packages (default 1,200), each a corpus package (or the samples without a corpus) with a
//     unique prefix, so every one has its own SHA-256 and is really parsed; half of the APKs filed in a record;
//  2. a full rescan with 1 and with 2 parser threads: packages/s and MB/s (page cache warm: each configuration
//     reads the same files; the first pass below warms it);
//  3. --rules-only on 10 x N entries (rows sharing the stored facts: rules-only never opens the files, and
//     each entry is still checked on its own): packages/s (target >= 5,000/s), median of BENCH_RUNS, with the
//     main thread only and with 1 and 2 worker threads (the main thread commits, and checks too whenever no
//     answer waits; `eduscan rescan --rules-only` uses cores - 1 workers); CPU ms per package (all threads),
//     which depends less on what else the machine runs;
//  4. the split of one rules-only package on this thread (CPU µs, so other load matters less): facts read
//     (the SELECT of the facts row, JSON.parse), check (Evaluator.evaluate: checkFacts against the entry's
//     record + compact), and the rest of the main-thread run's CPU per package (the commit of the package's
//     transaction, paging, the summary); plus checkFacts alone, without a record, in ms per package;
//  5. memory with registry size: peak RSS of a rules-only run in a fresh process on N and 10 x N entries.
// BENCH_RULES_ONLY=1 skips 1-2 and reuses the registry an earlier run left in bench/out/ (steps 3-5 only).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out', 'registry');
const N = Number(process.env.BENCH_REGISTRY_N ?? 1200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TODAY = '2026-03-02';
const CORPUS = process.env.EDUSCAN_CORPUS ?? join(ROOT, '..', 'shared', 'corpus');
/** BENCH_RULES_ONLY=1: reuse the registry a previous run left in bench/out/ (no generation, no full rescans). */
const RULES_ONLY = process.env.BENCH_RULES_ONLY === '1';

const dist = (p) => import(join(ROOT, 'dist', p));

if (process.argv[2] === '--child') {
  // A rules-only run in a process of its own, for its peak RSS.
  const [{ openRegistry }, { rescan }, { loadRuleSet }, { loadCalendar }] = await Promise.all([
    dist('registry/db.js'), dist('registry/rescan.js'), dist('rules/load.js'), dist('calendar/calendar.js'),
  ]);
  const db = openRegistry(process.argv[3]);
  const threads = Number(process.argv[4] ?? 0);
  const r = await rescan(db, { mode: 'rules-only', concurrency: threads, today: TODAY, ruleSet: loadRuleSet(), calendar: loadCalendar(), dbPath: process.argv[3] });
  db.close();
  process.stdout.write(JSON.stringify({ processed: r.processed, seconds: r.seconds, maxRssKb: process.resourceUsage().maxRSS }));
  process.exit(0);
}

function bases() {
  const files = [];
  for (const kind of ['apk', 'ipa']) {
    const dir = join(CORPUS, kind);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (/\.(apk|ipa)$/i.test(f)) files.push(join(dir, f));
  }
  if (files.length) return { files, from: CORPUS };
  return { files: [join(ROOT, 'samples/android/smartclass.apk'), join(ROOT, 'samples/ios/eduscan-sample.ipa')], from: 'samples (no corpus)' };
}

function generate() {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'pkgs'), { recursive: true });
  const { files, from } = bases();
  const record = join(OUT, 'record.provider.yaml');
  copyFileSync(join(ROOT, 'samples/filing/smartclass.provider.yaml'), record);
  const lines = [];
  let bytes = 0;
  const contents = files.map((f) => readFileSync(f));
  for (let i = 0; i < N; i++) {
    const k = i % files.length;
    const ext = files[k].endsWith('.ipa') ? 'ipa' : 'apk';
    const path = join(OUT, 'pkgs', `p${String(i).padStart(6, '0')}.${ext}`);
    writeFileSync(path, Buffer.concat([Buffer.from(`bench ${i}\n`), contents[k]]));
    bytes += statSync(path).size;
    lines.push(JSON.stringify({ package: path, ...(ext === 'apk' && i % 2 === 0 ? { record, app: '智慧课堂' } : {}) }));
  }
  writeFileSync(join(OUT, 'manifest.jsonl'), `${lines.join('\n')}\n`);
  return { from, bases: files.length, bytes };
}

const full = (r) => (r ? { pps: r.packagesPerSecond, mbps: r.mbPerSecond, seconds: r.seconds, cpuMsPerPackage: r.cpuMsPerPackage } : null);

/** CPU milliseconds of `f()` (user + system of this process: the thread runs alone in it at this point). */
function cpuMs(f) {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** Where one rules-only package goes on the main thread, in CPU µs per package (median of BENCH_RUNS). */
async function rulesOnlySplit(db, ruleSet, mainThreadMsPerPackage) {
  const [{ Evaluator }, { checkFacts }, { PARSER_VERSION }] = await Promise.all([dist('registry/evaluate.js'), dist('check/check.js'), dist('scan.js')]);
  // The N original entries (distinct contents; the 10 x N rows only repeat them).
  const entries = db.prepare('SELECT sha256, record_id, app_name FROM packages WHERE sha256 IS NOT NULL ORDER BY id LIMIT ?').all(N);
  const records = new Map(db.prepare('SELECT id, path, format, text, digest FROM records').all().map((r) => [r.id, r]));
  // The statement JobRunner reads facts with.
  const factsStmt = db.prepare('SELECT facts_json, error_code, error_message FROM facts WHERE sha256 = ? AND parser_version = ?');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perPackage = (f) => median(Array.from({ length: RUNS }, () => (cpuMs(f) * 1000) / entries.length));
  let rows = [];
  const select = perPackage(() => {
    rows = entries.map((e) => factsStmt.get(e.sha256, PARSER_VERSION));
  });
  let facts = [];
  const parse = perPackage(() => {
    facts = rows.map((r) => (r?.facts_json ? JSON.parse(r.facts_json) : null));
  });
  const evaluator = new Evaluator(ruleSet, TODAY, () => new Date());
  const check = perPackage(() => {
    entries.forEach((e, i) => {
      if (facts[i]) evaluator.evaluate(facts[i], e.record_id === null ? undefined : records.get(e.record_id), e.app_name);
    });
  });
  const checkAlone = perPackage(() => {
    for (const f of facts) if (f) checkFacts({ facts: f, ruleSet, today: TODAY });
  });
  const rest = mainThreadMsPerPackage * 1000 - select - parse - check;
  console.log(`rules-only split per package, main thread (CPU µs): facts read ${(select + parse).toFixed(0)} (SELECT ${select.toFixed(0)} + JSON.parse ${parse.toFixed(0)}), `
    + `check ${check.toFixed(0)} (checkFacts against the record + compact), rest ${rest.toFixed(0)} (commit of the package's transaction, paging, summary) `
    + `= ${(mainThreadMsPerPackage * 1000).toFixed(0)}; checkFacts alone (no record): ${(checkAlone / 1000).toFixed(3)} ms/package (load average ${os.loadavg()[0].toFixed(2)})`);
  return { selectUs: select, parseUs: parse, checkUs: check, restUs: rest, checkAloneMs: checkAlone / 1000 };
}

async function main() {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const [{ openRegistry }, { importPath }, { rescan, rulesOnlyWorkers }, { loadRuleSet }, { loadCalendar }, { closeHashPool }] = await Promise.all([
    dist('registry/db.js'), dist('registry/import.js'), dist('registry/rescan.js'), dist('rules/load.js'), dist('calendar/calendar.js'), dist('hash/hash.js'),
  ]);
  if (RULES_ONLY && !existsSync(join(OUT, 'bench-2.db'))) throw new Error(`BENCH_RULES_ONLY=1 needs ${join(OUT, 'bench-2.db')} from an earlier full run`);
  const g = RULES_ONLY ? { bases: 0, from: 'the registry of an earlier run', bytes: 0 } : generate();
  if (!RULES_ONLY) {
    console.log(`registry: ${N} packages from ${g.bases} bases (${g.from}), ${(g.bytes / 1e6).toFixed(0)} MB`);
    // Warm the page cache so both thread counts read from memory.
    for (const f of readdirSync(join(OUT, 'pkgs'))) readFileSync(join(OUT, 'pkgs', f));
  }
  const ruleSet = loadRuleSet();
  const calendar = loadCalendar();
  const results = {};
  const cpu = (f) => async (...a) => {
    const c0 = process.cpuUsage();
    const r = await f(...a);
    const c = process.cpuUsage(c0);
    return { ...r, cpuMsPerPackage: (c.user + c.system) / 1000 / Math.max(1, r.processed) };
  };
  const load = () => os.loadavg()[0].toFixed(2);
  let lastDb = join(OUT, 'bench-2.db');
  for (const threads of RULES_ONLY ? [] : [1, 2]) {
    const dbPath = join(OUT, `bench-${threads}.db`);
    for (const s of ['', '-wal', '-shm']) rmSync(dbPath + s, { force: true });
    const db = openRegistry(dbPath);
    const imp = importPath(db, join(OUT, 'manifest.jsonl'));
    const r = await cpu(rescan)(db, { mode: 'full', concurrency: threads, today: TODAY, ruleSet, calendar, dbPath });
    results[`full-${threads}`] = r;
    console.log(`full rescan, ${threads} worker thread(s): ${r.processed} packages (${imp.packages.added} imported; ok ${r.status.ok}, error ${r.status.error}) in ${r.seconds.toFixed(2)} s: ${r.packagesPerSecond.toFixed(0)} packages/s, ${r.mbPerSecond.toFixed(1)} MB/s parsed; CPU ${r.cpuMsPerPackage.toFixed(2)} ms/package (load average ${load()})`);
    db.close();
    lastDb = dbPath;
  }

  // Rules-only on 10 x N entries (the N package contents, each behind 10 entries: every entry is still checked
  // on its own), so that start-up (worker threads loading the rules) does not dominate the rate.
  const big = join(OUT, 'bench-big.db');
  for (const s of ['', '-wal', '-shm']) rmSync(big + s, { force: true });
  {
    const db = openRegistry(lastDb);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
  copyFileSync(lastDb, big);
  const bigDb = openRegistry(big);
  const rows = bigDb.prepare('SELECT path, record_id, app_name, size, mtime_ms, md5, sha256 FROM packages').all();
  const ins = bigDb.prepare('INSERT INTO packages (path, record_id, app_name, size, mtime_ms, md5, sha256, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  bigDb.transaction(() => {
    for (let k = 1; k < 10; k++) for (const r of rows) ins.run(`${r.path}#${k}`, r.record_id, r.app_name, r.size, r.mtime_ms, r.md5, r.sha256, 'bench', 'bench');
  })();
  // First pass: every entry gets its issues; the timed passes below are re-evaluations with nothing changed.
  await rescan(bigDb, { mode: 'rules-only', concurrency: 2, today: TODAY, ruleSet, calendar, dbPath: big });
  const medians = {};
  const byThreads = { 0: [], 1: [], 2: [] };
  // Configurations take turns (0, 1, 2, 0, 1, 2, ...) so that a change in the machine's load hits them alike.
  for (let i = 0; i < RUNS; i++) {
    for (const threads of [0, 1, 2]) {
      byThreads[threads].push({ ...await cpu(rescan)(bigDb, { mode: 'rules-only', concurrency: threads, exactConcurrency: true, today: TODAY, ruleSet, calendar, dbPath: big }), load: load() });
    }
  }
  const cliWorkers = rulesOnlyWorkers({ concurrency: os.availableParallelism() });
  for (const threads of [0, 1, 2]) {
    const runs = [...byThreads[threads]].sort((a, b) => a.packagesPerSecond - b.packagesPerSecond);
    const m = runs[Math.floor(runs.length / 2)];
    medians[threads] = { pps: m.packagesPerSecond, cpuMsPerPackage: m.cpuMsPerPackage };
    const label = threads ? `${threads} worker thread(s) + main` : 'main thread only';
    console.log(`rules-only, ${label}${threads === cliWorkers ? ' (the CLI default here)' : ''}, ${m.processed} entries: ${m.packagesPerSecond.toFixed(0)} packages/s (median of ${RUNS}: ${byThreads[threads].map((x) => `${x.packagesPerSecond.toFixed(0)} @load ${x.load}`).join(', ')}); CPU ${m.cpuMsPerPackage.toFixed(3)} ms/package`);
  }
  // The case the registry exists for: the rules changed. Each timed run switches between the shipped rules and a
  // copy with two rules changed (EDU-AND-MAN-001 off, EDU-AND-CMP-002 medium -> high), so every run re-evaluates
  // after a change and writes the issues that opened, closed or changed severity.
  const changedDir = mkdtempSync(join(os.tmpdir(), 'eduscan-bench-rules-'));
  cpSync(join(ROOT, 'rules'), changedDir, { recursive: true });
  const manifestYaml = readFileSync(join(changedDir, 'android-manifest.yaml'), 'utf8');
  writeFileSync(join(changedDir, 'android-manifest.yaml'), manifestYaml.replace('when: {path: facts.manifest.application.debuggable, eq: true}', 'when: {path: facts.manifest.application.debuggable, eq: false}'));
  const componentsYaml = readFileSync(join(changedDir, 'android-components.yaml'), 'utf8');
  const at = componentsYaml.indexOf('id: EDU-AND-CMP-002');
  const sev = componentsYaml.indexOf('severity: medium', at);
  writeFileSync(join(changedDir, 'android-components.yaml'), `${componentsYaml.slice(0, sev)}severity: high${componentsYaml.slice(sev + 'severity: medium'.length)}`);
  const changedSet = loadRuleSet(changedDir);
  if (changedSet.digest === ruleSet.digest) throw new Error('bench: the changed rule set has the shipped digest');
  const changedRuns = [];
  for (let i = 0; i < RUNS * 2; i++) {
    const [set, dir] = i % 2 === 0 ? [changedSet, changedDir] : [ruleSet, undefined];
    changedRuns.push({ ...await cpu(rescan)(bigDb, { mode: 'rules-only', concurrency: cliWorkers, exactConcurrency: true, today: TODAY, ruleSet: set, ...(dir ? { rulesDir: dir } : {}), calendar, dbPath: big }), load: load() });
  }
  rmSync(changedDir, { recursive: true, force: true });
  const changedSorted = [...changedRuns].sort((a, b) => a.packagesPerSecond - b.packagesPerSecond);
  const changedMedian = changedSorted[Math.floor(changedSorted.length / 2)];
  console.log(`rules-only right after a rules change, ${cliWorkers} worker thread(s) + main, ${changedMedian.processed} entries: ${changedMedian.packagesPerSecond.toFixed(0)} packages/s (median of ${changedRuns.length}: ${changedRuns.map((x) => `${x.packagesPerSecond.toFixed(0)} @load ${x.load}`).join(', ')}); CPU ${changedMedian.cpuMsPerPackage.toFixed(3)} ms/package`);

  const split = await rulesOnlySplit(bigDb, ruleSet, medians[0].cpuMsPerPackage);
  bigDb.close();
  const best = Math.max(...Object.values(medians).map((m) => m.pps));
  const verdict = (pps) => (pps >= 5000 ? 'met' : 'NOT met');
  console.log(`rules-only best: ${best.toFixed(0)} packages/s; the CLI default (${cliWorkers} worker thread(s) + main): ${medians[cliWorkers].pps.toFixed(0)} packages/s when nothing changed, ${changedMedian.packagesPerSecond.toFixed(0)} packages/s right after a rules change — target >= 5,000/s: ${verdict(medians[cliWorkers].pps)} / ${verdict(changedMedian.packagesPerSecond)} on ${os.availableParallelism()} cores`);

  // Memory against registry size: peak RSS of a rules-only run in a fresh process, N and 10 x N entries.
  // As the CLI runs it: --concurrency = cores (rulesOnlyWorkers leaves one core to the main thread).
  const child = (path) => JSON.parse(spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', path, String(os.availableParallelism())], { encoding: 'utf8' }).stdout);
  const small = child(lastDb);
  const large = child(big);
  console.log(`rules-only peak RSS (${cliWorkers} worker thread(s) + main): ${small.processed} entries ${(small.maxRssKb / 1024).toFixed(0)} MB; ${large.processed} entries ${(large.maxRssKb / 1024).toFixed(0)} MB`);
  await closeHashPool();
  const summary = {
    date: new Date().toISOString(), cores: os.availableParallelism(), packages: N, bytes: g.bytes, bases: g.from,
    full1: full(results['full-1']),
    full2: full(results['full-2']),
    rulesOnly: { best, cliWorkers, byThreads: medians, afterRulesChange: { pps: changedMedian.packagesPerSecond, cpuMsPerPackage: changedMedian.cpuMsPerPackage }, split },
    memory: { small, large },
  };
  writeFileSync(join(ROOT, 'bench', 'out', RULES_ONLY ? 'rescan-rules-only.json' : 'rescan.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

await main();
