// --rules-only with a worker thread: the worker checks batches while this thread commits and checks batches of
// its own whenever no answer waits. Whatever thread checked an entry, the rows are those of a run on this thread
// alone: after a rules change (results cross threads in full), with nothing changed (they cross without their
// findings: EvalJob.known), and across a crash and its resumption.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHashPool } from '../../src/hash/hash.js';
import type { Db } from '../../src/registry/db.js';
import { Evaluator } from '../../src/registry/evaluate.js';
import { importPath } from '../../src/registry/import.js';
import { issuesState, JobRunner } from '../../src/registry/job.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { changedRulesDir, openTemp, run, SAMPLE_APK, sampleFolder, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await closeHashPool();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Entries: more than a worker's batches in flight (2 x 200, rescan.ts), so that both threads check some. */
const COPIES = 150;

/**
 * A registry folder: the sample and its record with COPIES copies of each of 4 contents beside it (the same
 * bytes share their facts), a broken package, and a folder without a record.
 */
function registryFolder(tag: string): string {
  const { dir } = sampleFolder(tag);
  dirs.push(dir);
  const apk = readFileSync(SAMPLE_APK);
  mkdirSync(join(dir, 'unfiled'));
  for (let v = 0; v < 4; v++) {
    const bytes = Buffer.concat([Buffer.from(`content ${v}\n`), apk]);
    for (let i = 0; i < COPIES; i++) writeFileSync(join(dir, v === 3 ? 'unfiled' : '.', `c${v}-${i}.apk`), bytes);
  }
  writeFileSync(join(dir, 'broken.apk'), 'not a zip');
  return dir;
}

/** Two registries of the same folder, fully scanned on this thread. */
async function twoRegistries(tag: string): Promise<{ a: { db: Db; path: string }; b: { db: Db; path: string } }> {
  const dir = registryFolder(tag);
  const other = tempDir(`${tag}-b`);
  dirs.push(other);
  const a = openTemp(dir);
  const b = openTemp(other);
  for (const r of [a, b]) {
    importPath(r.db, dir);
    const full = await run(r.db, { today: '2026-02-13' });
    expect(full.status).toMatchObject({ ok: 4 * COPIES + 1, error: 1 });
  }
  return { a, b };
}

function changedRules(): string {
  const rules = changedRulesDir();
  dirs.push(rules);
  return rules;
}

const scans = (db: Db, runId: number) => (db.prepare(`SELECT p.path, s.status, s.source, s.verdict, s.high, s.medium, s.low, s.info, s.error_code, s.undeclared_json,
    s.findings_digest, s.findings_json, s.findings_from IS NOT NULL AS points, s.app_id, s.record_digest FROM scans s JOIN packages p ON p.id = s.package_id
    WHERE s.run_id = ?`).all(runId) as { path: string; findings_json: string | null; points: number }[])
  .map(({ path, ...r }) => ({ file: basename(path), ...r })).sort((x, y) => x.file.localeCompare(y.file));
const issues = (db: Db) => (db.prepare(`SELECT p.path, i.key, i.kind, i.rule, i.severity, i.fingerprint, i.message, i.first_seen, i.opened_run, i.resolved_at,
    i.resolved_run, i.deadline, i.deadline_note FROM issues i JOIN packages p ON p.id = i.package_id`).all() as { path: string; key: string }[])
  .map(({ path, ...r }) => ({ file: basename(path), ...r })).sort((x, y) => x.file.localeCompare(y.file) || x.key.localeCompare(y.key));
/** The ok scans of a run whose findings (in the row, or in the scan findings_from names) hash to findings_digest; throws on one that does not. */
function findingsAsDigested(db: Db, runId: number): number {
  const rows = db.prepare(`SELECT s.id, s.findings_digest AS digest, COALESCE(s.findings_json, h.findings_json) AS json FROM scans s
    LEFT JOIN scans h ON h.id = s.findings_from WHERE s.run_id = ? AND s.status = 'ok'`).all(runId) as { id: number; digest: string; json: string }[];
  for (const r of rows) expect(createHash('sha256').update(r.json).digest('hex'), `scan ${r.id}`).toBe(r.digest);
  return rows.length;
}
const packagesState = (db: Db) => (db.prepare('SELECT path, sha256, app_id, issues_state FROM packages').all() as { path: string }[])
  .map(({ path, ...r }) => ({ file: basename(path), ...r })).sort((x, y) => x.file.localeCompare(y.file));

describe('rules-only with a worker thread and this thread checking', () => {
  it('gives the rows of a run on this thread alone: after a rules change, and when nothing changed', async () => {
    const { a, b } = await twoRegistries('rules-only');
    const rulesDir = changedRules();
    const ruleSet = loadRuleSet(rulesDir);
    const worker = { concurrency: 1, exactConcurrency: true, rulesDir } as const;

    const alone = await run(a.db, { today: '2026-02-20', mode: 'rules-only', ruleSet });
    const both = await run(b.db, { today: '2026-02-20', mode: 'rules-only', ruleSet, ...worker }, b.path);
    expect(alone.diff.resolvedIssues).toBeGreaterThan(0);
    for (const r of [alone, both]) expect(r).toMatchObject({ processed: 4 * COPIES + 2, parsed: 0, fromCache: 4 * COPIES + 2 });
    expect(both.status).toEqual(alone.status);
    expect(both.verdicts).toEqual(alone.verdicts);
    expect(both.diff).toEqual(alone.diff);
    expect(scans(b.db, 2)).toEqual(scans(a.db, 2));
    expect(issues(b.db)).toEqual(issues(a.db));
    expect(packagesState(b.db)).toEqual(packagesState(a.db));
    // Whether stored in the row or in the scan it points to, the findings are those its digest names.
    expect(findingsAsDigested(b.db, 2)).toBe(4 * COPIES + 1);

    // Nothing changed: each entry's issues are left as they are, and its findings point to the last scan's.
    const before = issues(b.db);
    const alone2 = await run(a.db, { today: '2026-02-20', mode: 'rules-only', ruleSet });
    const both2 = await run(b.db, { today: '2026-02-20', mode: 'rules-only', ruleSet, ...worker }, b.path);
    expect(both2.diff).toEqual(alone2.diff);
    expect(both2.diff).toMatchObject({ newIssues: 0, resolvedIssues: 0 });
    const third = scans(b.db, 3);
    expect(third).toEqual(scans(a.db, 3));
    expect(third.filter((s) => s.findings_json === null && s.points === 1)).toHaveLength(4 * COPIES + 1);
    expect(issues(b.db)).toEqual(before);
    expect(findingsAsDigested(b.db, 3)).toBe(4 * COPIES + 1);
    a.db.close();
    b.db.close();
  });

  it('a full re-scan of unchanged files (eval jobs, no parsing) in a worker gives the rows of this thread alone', async () => {
    const { a, b } = await twoRegistries('rules-only-full');
    const alone = await run(a.db, { today: '2026-02-20' });
    const worker = await run(b.db, { today: '2026-02-20', concurrency: 1 }, b.path);
    for (const r of [alone, worker]) expect(r).toMatchObject({ parsed: 0, fromCache: 4 * COPIES + 2 });
    expect(worker.diff).toEqual(alone.diff);
    expect(scans(b.db, 2)).toEqual(scans(a.db, 2));
    expect(issues(b.db)).toEqual(issues(a.db));
    a.db.close();
    b.db.close();
  });

  it('a run that stops part-way is resumed, with a worker, to the rows of a run on this thread alone', async () => {
    const { a, b } = await twoRegistries('rules-only-crash');
    const rulesDir = changedRules();
    const ruleSet = loadRuleSet(rulesDir);
    const alone = await run(a.db, { today: '2026-02-20', mode: 'rules-only', ruleSet });
    // The process "dies" after 70 commits (an exception out of the progress callback stands in for the crash).
    await expect(run(b.db, { today: '2026-02-20', mode: 'rules-only', ruleSet, concurrency: 1, exactConcurrency: true, rulesDir, onProgress: (done) => {
      if (done === 70) throw new Error('simulated crash');
    } }, b.path)).rejects.toThrow('simulated crash');
    expect(b.db.prepare('SELECT COUNT(*) AS n FROM scans WHERE run_id = 2').get()).toEqual({ n: 70 });
    const resumed = await run(b.db, { today: '2026-02-20', mode: 'rules-only', ruleSet, concurrency: 1, exactConcurrency: true, rulesDir }, b.path);
    expect(resumed).toMatchObject({ alreadyDone: 70, processed: 4 * COPIES + 2 - 70, run: { id: 2, resumed: true } });
    expect(resumed.status).toEqual(alone.status);
    expect(scans(b.db, 2)).toEqual(scans(a.db, 2));
    expect(issues(b.db)).toEqual(issues(a.db));
    a.db.close();
    b.db.close();
  });

  it('both threads check: a worker that loads other rules refuses its batches (E_CONFIG), this thread checks the rest', async () => {
    const { b } = await twoRegistries('rules-only-split');
    // The run's rules are the shipped ones; the worker loads the changed ones and refuses to mix them in.
    const r = await run(b.db, { today: '2026-02-20', mode: 'rules-only', concurrency: 1, exactConcurrency: true, rulesDir: changedRules() }, b.path);
    const codes = b.db.prepare("SELECT error_code AS code, COUNT(*) AS n FROM scans WHERE run_id = 2 AND status = 'error' GROUP BY error_code ORDER BY code").all() as { code: string; n: number }[];
    expect(codes.find((c) => c.code === 'E_CONFIG')?.n).toBeGreaterThanOrEqual(50);
    expect(r.status.ok).toBeGreaterThanOrEqual(10);
    expect(r.status.ok + r.status.error).toBe(4 * COPIES + 2);
    b.db.close();
  });
});

describe('eval jobs with what the caller stores (EvalJob.known)', () => {
  it('leave out the findings and the tracked findings the caller has, and only those', async () => {
    const { dir } = sampleFolder('known');
    dirs.push(dir);
    const { db } = openTemp(dir);
    importPath(db, dir);
    await run(db, { today: '2026-02-13' });
    const p = db.prepare('SELECT id, sha256, record_id, app_name, app_id, issues_state FROM packages').get() as
      { id: number; sha256: string; record_id: number; app_name: string | null; app_id: number; issues_state: string };
    const runner = new JobRunner(db, new Evaluator(loadRuleSet(), '2026-02-13'));
    const job = { packageId: p.id, sha256: p.sha256, recordId: p.record_id, appHint: p.app_name };
    const full = runner.evalJob(job).outcome!;
    const r = full.result!;
    expect(r.findingsJson).toBeDefined();
    expect(r.tracked!.length).toBeGreaterThan(0);
    // The state the commit stored is the one a job computes from the same result.
    expect(issuesState(r.trackedDigest, p.app_id, full.recordDigest)).toBe(p.issues_state);

    const same = runner.evalJob({ ...job, known: { findingsDigest: r.findingsDigest, issuesState: p.issues_state } }).outcome!;
    const { findingsJson, tracked, ...rest } = r;
    expect(same).toEqual({ ...full, result: rest });
    expect(findingsJson!.length + tracked!.length).toBeGreaterThan(0);
    const other = runner.evalJob({ ...job, known: { findingsDigest: 'f'.repeat(64), issuesState: p.issues_state } }).outcome!;
    expect(other).toEqual({ ...full, result: { ...rest, findingsJson } });
    const stale = runner.evalJob({ ...job, known: { findingsDigest: r.findingsDigest, issuesState: null } }).outcome!;
    expect(stale).toEqual({ ...full, result: { ...rest, tracked } });
    db.close();
  });
});
