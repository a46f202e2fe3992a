// The registry on the real corpus, through the CLI as a reviewer runs it (child processes, real signals):
//  - a registry of ~340 packages (every corpus APK/IPA and a variant of each with bytes in front, plus the
//    sample and its record) re-scanned, killed with SIGKILL mid-run, started again: the run finishes with every
//    package scanned exactly once and the same results as an uninterrupted run;
//  - while it runs, a second process reads the same database, and a second rescan is refused (E_BUSY);
//  - version history on real version pairs, checked against apksigner and aapt.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCalendar } from '../../src/calendar/calendar.js';
import { closeHashPool } from '../../src/hash/hash.js';
import { importPath } from '../../src/registry/import.js';
import { listIssues, showEntry, findEntry } from '../../src/registry/queries.js';
import type { RescanReport } from '../../src/registry/rescan.js';
import { detectCategories } from '../../src/rules/categories.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { scanPackage } from '../../src/scan.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';
import { hasTool } from '../helpers/tools.js';
import { CLI_ENTRY, SAMPLE_APK, SAMPLE_RECORD, openTemp, run, sampleRecord, tempDir, writeRecord } from './helpers.js';

afterAll(() => closeHashPool());
const calendar = loadCalendar();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every corpus package (linked, not copied) and a variant with bytes in front (a new SHA-256: a real parse). */
function buildRegistry(): string {
  const dir = tempDir('corpus-reg');
  dirs.push(dir);
  mkdirSync(join(dir, 'corpus'));
  for (const f of [...corpusFiles('apk'), ...corpusFiles('ipa')].filter((p) => /\.(apk|ipa)$/i.test(p))) {
    symlinkSync(f, join(dir, 'corpus', basename(f)));
    writeFileSync(join(dir, 'corpus', `v2-${basename(f)}`), Buffer.concat([Buffer.from('v2'), readFileSync(f)]));
  }
  mkdirSync(join(dir, 'sample'));
  copyFileSync(SAMPLE_APK, join(dir, 'sample', 'smartclass.apk'));
  copyFileSync(SAMPLE_RECORD, join(dir, 'sample', 'smartclass.provider.yaml'));
  writeFileSync(join(dir, 'sample', 'smartclass-2.apk'), Buffer.concat([Buffer.from('stub'), readFileSync(SAMPLE_APK)]));
  return dir;
}

interface Snapshot {
  scans: unknown[];
  issues: unknown[];
  facts: number;
}

function snapshot(dbPath: string, runId: number): Snapshot {
  const db = new Database(dbPath, { readonly: true });
  try {
    return {
      scans: db.prepare(`SELECT p.path, s.status, s.verdict, s.high, s.medium, s.low, s.error_code, s.sha256 FROM scans s JOIN packages p ON p.id = s.package_id
        WHERE s.run_id = ? ORDER BY p.path`).all(runId),
      issues: db.prepare(`SELECT p.path, i.key, i.rule, i.severity, i.kind, i.deadline, i.first_seen, i.resolved_at FROM issues i JOIN packages p ON p.id = i.package_id
        ORDER BY p.path, i.key`).all(),
      facts: (db.prepare('SELECT COUNT(*) AS n FROM facts').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

describe.skipIf(!CORPUS)('kill -9 mid-run and resume (CLI, real signal)', () => {
  it('finishes the rest with no package lost or counted twice, and matches an uninterrupted run', async () => {
    const dir = buildRegistry();
    const ref = join(dir, 'ref.db');
    const killed = join(dir, 'killed.db');
    for (const db of [ref, killed]) expect(cli(['registry', 'import', dir, '--db', db]).code).toBe(0);
    const total = (new Database(ref, { readonly: true }).prepare('SELECT COUNT(*) AS n FROM packages').get() as { n: number }).n;
    expect(total).toBeGreaterThan(300);

    const clean = cli(['rescan', '--db', ref, '--today', '2026-02-13', '--concurrency', '2', '--format', 'json']);
    expect(clean.code, clean.err).toBe(0);
    const cleanReport = JSON.parse(clean.out) as RescanReport;
    expect(cleanReport.status.ok + cleanReport.status.error).toBe(total);
    expect(cleanReport.status.error).toBeGreaterThan(0); // the corpus has hostile packages: recorded, not fatal

    // One parser thread, so the run lasts long enough to be interrupted.
    const child = spawn(process.execPath, [CLI_ENTRY, 'rescan', '--db', killed, '--today', '2026-02-13', '--concurrency', '1', '--format', 'json'], { stdio: 'pipe' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ? -1 : code)));
    const watch = new Database(killed, { readonly: true, fileMustExist: true });
    const done = () => {
      try {
        return (watch.prepare('SELECT COUNT(*) AS n FROM scans').get() as { n: number }).n;
      } catch {
        return 0; // the schema may not be there for the first milliseconds
      }
    };
    const until = async (n: number) => {
      const stop = Date.now() + 60_000;
      while (done() < n && child.exitCode === null && Date.now() < stop) await new Promise((r) => setTimeout(r, 5));
    };
    await until(20);
    // Meanwhile, other processes use the same database: a reader gets answers, a second rescan is refused.
    const [reader, second] = await Promise.all([
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(process.execPath, [CLI_ENTRY, 'registry', 'list', '--db', killed, '--format', 'json', '--today', '2026-02-13']);
        let out = '';
        c.stdout.on('data', (b) => (out += b));
        c.on('exit', (code) => resolve({ code, out }));
      }),
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const c = spawn(process.execPath, [CLI_ENTRY, 'rescan', '--db', killed, '--today', '2026-02-13']);
        let err = '';
        c.stderr.on('data', (b) => (err += b));
        c.on('exit', (code) => resolve({ code, err }));
      }),
    ]);
    expect(child.exitCode, 'the run ended before the other processes finished: make the registry bigger').toBeNull();
    expect(reader.code).toBe(0);
    expect(JSON.parse(reader.out).summary.entries).toBe(total);
    expect(second.code).toBe(2);
    expect(second.err).toMatch(/in progress in process \d+.*\[E_BUSY\]/);

    await until(Math.floor(total / 2));
    child.kill('SIGKILL');
    expect(await exited).toBe(-1);
    const atKill = done();
    watch.close();
    expect(atKill).toBeGreaterThan(20);
    expect(atKill).toBeLessThan(total);
    const mid = new Database(killed, { readonly: true });
    expect(mid.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'running' }]);
    mid.close();

    const resumed = cli(['rescan', '--db', killed, '--today', '2026-02-13', '--concurrency', '2', '--format', 'json']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.err).toMatch(/resuming run 1/);
    const r = JSON.parse(resumed.out) as RescanReport;
    expect(r.run).toMatchObject({ id: 1, resumed: true });
    // Committed before the kill are never redone; the rest are done once.
    expect(r.alreadyDone).toBeGreaterThanOrEqual(atKill);
    expect(r.alreadyDone + r.processed).toBe(total);
    expect(r.status).toEqual(cleanReport.status);
    expect(r.verdicts).toEqual(cleanReport.verdicts);
    expect(r.diff).toMatchObject({ newIssues: cleanReport.diff.newIssues, newFailures: cleanReport.diff.newFailures });

    const a = snapshot(ref, 1);
    const b = snapshot(killed, 1);
    expect(b.scans).toHaveLength(total);
    expect(b.scans).toEqual(a.scans);
    expect(b.issues).toEqual(a.issues);
    expect(b.facts).toBe(a.facts);
    const check = new Database(killed, { readonly: true });
    expect(check.prepare('SELECT COUNT(DISTINCT package_id) AS n, COUNT(*) AS m FROM scans').get()).toEqual({ n: total, m: total });
    expect(check.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'done' }]);
    check.close();

    // The log: one JSON object per line, the kill visible as a run-start without a run-end.
    const lines = readFileSync(`${killed}.log`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    // The killed run and its resumption; the refused rescan never started a run.
    expect(lines.filter((l) => l.event === 'run-start')).toHaveLength(2);
    expect(lines.filter((l) => l.event === 'run-end')).toHaveLength(1);
  });
});

/** A provider record filing `facts` exactly as the package is (as `eduscan fill` would write it). */
function recordFor(facts: Awaited<ReturnType<typeof scanPackage>>): Record<string, unknown> {
  const rec = sampleRecord();
  const set = loadRuleSet();
  rec.apps = [{
    name: facts.label ?? facts.id, version: facts.versionName ?? '1', platform: facts.platform, packageId: facts.id,
    functionType: '学习类', audience: ['教师'], serviceContent: '测试用应用', features: [],
    permissions: detectCategories(facts, set.permissionMap).map((d) => d.label),
  }];
  return rec;
}

function apksignerDigest(path: string): string {
  const out = execFileSync('apksigner', ['verify', '--print-certs', path], { encoding: 'utf8' });
  return /Signer #1 certificate SHA-256 digest: ([0-9a-f]{64})/.exec(out)![1]!;
}

function aaptPermissions(path: string): Set<string> {
  const out = execFileSync('aapt', ['dump', 'permissions', path], { encoding: 'utf8' });
  return new Set([...out.matchAll(/uses-permission(?:-sdk-23)?: name='([^']+)'/g)].map((m) => m[1]!));
}

describe.skipIf(!CORPUS)('version history on real version pairs', () => {
  const apk = (name: string) => join(CORPUS!, 'apk', name);

  it('com.politedroid 3 → 4 → 5: same signer and permissions (apksigner, aapt); v4 no longer matches the filed version and v5 turns on allowBackup (aapt): each a filing update', async () => {
    const v = ['fdroidserver__com.politedroid_3.apk', 'androguard__com.politedroid_4.apk', 'fdroidserver__com.politedroid_5.apk'].map(apk);
    if (hasTool('apksigner')) expect(new Set(v.map(apksignerDigest)).size).toBe(1);
    if (hasTool('aapt')) expect(new Set(v.map((p) => [...aaptPermissions(p)].sort().join(','))).size).toBe(1);
    const dir = tempDir('polite');
    dirs.push(dir);
    const pkg = join(dir, 'app.apk');
    writeRecord(join(dir, 'app.provider.json'), recordFor(await scanPackage(v[0]!)));
    const { db } = openTemp(dir);
    const days = ['2025-09-01', '2025-09-08', '2025-09-15'];
    for (const [i, file] of v.entries()) {
      copyFileSync(file, pkg);
      importPath(db, dir);
      const r = await run(db, { today: days[i]! });
      expect(r.status.ok).toBe(1);
    }
    const d = showEntry(db, findEntry(db, 'app.apk'), { today: '2025-09-15', calendar });
    expect(d.versions.map((x) => x.versionCode)).toEqual(['3', '4', '5']);
    // No signer, category or package-id change; only rules the previous version did not break.
    expect(d.versions.map((x) => x.changes)).toEqual([[], [{ kind: 'new-rule-broken', rules: ['EDU-PKG-003'] }], [{ kind: 'new-rule-broken', rules: ['EDU-AND-MAN-006'] }]]);
    if (hasTool('aapt')) {
      // EDU-PKG-003: the record files version 1.2 (v3's versionName); v4 is 1.3.
      expect(execFileSync('aapt', ['dump', 'badging', v[0]!], { encoding: 'utf8' })).toContain("versionName='1.2'");
      expect(execFileSync('aapt', ['dump', 'badging', v[1]!], { encoding: 'utf8' })).toContain("versionName='1.3'");
      // EDU-AND-MAN-006: android:allowBackup is set (true) in v5's manifest only.
      const backup = (p: string) => /android:allowBackup\(0x01010280\)=\(type 0x12\)0xffffffff/.test(execFileSync('aapt', ['dump', 'xmltree', p, 'AndroidManifest.xml'], { encoding: 'utf8' }));
      expect(v.map(backup)).toEqual([false, false, true]);
    }
    // 9/8 Mon: 9/9..9/12 = 1..4, 9/15..9/19 = 5..9, 9/22 = 10. 9/15 Mon: 9/16..9/19 = 1..4, 9/22..9/26 = 5..9,
    // and Sunday 9/28, a make-up workday for 国庆, = 10.
    expect(listIssues(db, { today: '2025-09-15', calendar }).filter((i) => i.kind === 'filing-update').map((i) => i.deadline)).toEqual(['2025-09-22', '2025-09-28']);
  });

  it('a new signing key (apksigner) and then another package id with more permissions (aapt) are each a filing update due in 10 working days', async () => {
    const v1 = apk('fdroidserver__obb.mainpatch.current_1619.apk');
    const v2 = apk('fdroidserver__obb.mainpatch.current_1619_another-release-key.apk');
    const v3 = apk('androguard__a2dp.Vol_137.apk');
    const dir = tempDir('signer');
    dirs.push(dir);
    const pkg = join(dir, 'app.apk');
    const f1 = await scanPackage(v1);
    writeRecord(join(dir, 'app.provider.json'), recordFor(f1));
    const { db } = openTemp(dir);
    copyFileSync(v1, pkg);
    importPath(db, dir);
    await run(db, { today: '2025-09-19' });
    copyFileSync(v2, pkg);
    await run(db, { today: '2025-09-26' });
    const issues = listIssues(db, { today: '2025-09-26', calendar }).filter((i) => i.kind === 'filing-update');
    // Friday 9/26: Sunday 9/28 (make-up) = 1, 9/29 = 2, 9/30 = 3, 10/1–10/8 国庆/中秋, 10/9 = 4, 10/10 = 5,
    // Saturday 10/11 (make-up) = 6, 10/13..10/16 = 7..10.
    expect(issues).toEqual([expect.objectContaining({ rule: 'REG-FILING-UPDATE', deadline: '2025-10-16', firstSeen: '2025-09-26' })]);
    const d = showEntry(db, findEntry(db, 'app.apk'), { today: '2025-09-26', calendar });
    expect(d.versions).toHaveLength(2);
    if (hasTool('apksigner')) {
      expect(d.versions.map((x) => x.signer)).toEqual([apksignerDigest(v1), apksignerDigest(v2)]);
      expect(d.versions[1]!.changes).toEqual([{ kind: 'signer-changed', from: apksignerDigest(v1), to: apksignerDigest(v2) }]);
    }

    copyFileSync(v3, pkg);
    await run(db, { today: '2025-10-09' });
    const third = showEntry(db, findEntry(db, 'app.apk'), { today: '2025-10-09', calendar }).versions[2]!;
    const kinds = (third.changes as { kind: string }[]).map((c) => c.kind);
    expect(kinds).toEqual(expect.arrayContaining(['package-id-changed', 'signer-changed', 'categories-added']));
    expect(third.changes).toContainEqual({ kind: 'package-id-changed', from: f1.id, to: 'a2dp.Vol' });
    if (hasTool('aapt')) {
      // Every category the new version adds rests on a permission aapt lists for it and not for the old one.
      const added = (third.changes.find((c) => (c as { kind: string }).kind === 'categories-added') as { added: string[] }).added;
      const facts = await scanPackage(v3);
      const fresh = [...aaptPermissions(v3)].filter((p) => !aaptPermissions(v2).has(p));
      for (const label of added) {
        const ev = detectCategories(facts, loadRuleSet().permissionMap).find((c) => c.label === label)!.evidence;
        expect(ev.some((e) => fresh.includes(e.value)), label).toBe(true);
      }
    }
    const open = listIssues(db, { today: '2025-10-09', calendar }).filter((i) => i.kind === 'filing-update');
    // 10/9 Thu: 10/10 = 1, Saturday 10/11 (make-up) = 2, 10/13..10/17 = 3..7, 10/20..10/22 = 8..10.
    expect(open.map((i) => i.deadline)).toEqual(['2025-10-16', '2025-10-22']);
  });
});
