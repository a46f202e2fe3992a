// The registry's jobs in the shared pool (src/registry/worker-jobs.ts): a scan job and an eval batch run in a
// worker give what JobRunner gives on this thread, and what the pool or the worker's set-up ends becomes a
// failed result the re-scan records (it never rejects, never hangs).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHashPool } from '../../src/hash/hash.js';
import { Evaluator } from '../../src/registry/evaluate.js';
import { importPath } from '../../src/registry/import.js';
import { JobRunner, type ScanJobResult } from '../../src/registry/job.js';
import { startJobPool } from '../../src/registry/worker-jobs.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { PARSER_VERSION } from '../../src/scan.js';
import { openTemp, run, SAMPLE_APK, sampleFolder as sampleFolderIn, tempDir as tempDirIn } from '../registry/helpers.js';

const TODAY = '2026-02-13';
const dirs: string[] = [];
const tempDir = (tag: string) => dirs[dirs.push(tempDirIn(tag)) - 1]!;
const sampleFolder = (tag: string) => {
  const f = sampleFolderIn(tag);
  dirs.push(f.dir);
  return f;
};
afterAll(async () => {
  await closeHashPool();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A result without its timing. */
const untimed = (r: ScanJobResult) => ({ ...r, ms: 0 });

describe('registry jobs in the scan pool', () => {
  it('scan and eval jobs in a worker equal JobRunner in-process (parsed, cached, and a parse failure)', async () => {
    const { dir, apk } = sampleFolder('pool-reg');
    writeFileSync(join(dir, 'broken.apk'), 'not a zip');
    const { db, path } = openTemp(dir);
    importPath(db, dir);
    await run(db, { today: TODAY }); // facts of apk and broken.apk are now cached
    const ruleSet = loadRuleSet();
    const local = new JobRunner(db, new Evaluator(ruleSet, TODAY));
    const pool = startJobPool(2, { dbPath: path, rulesDigest: ruleSet.digest, today: TODAY });
    try {
      const rows = db.prepare('SELECT id, path, record_id, app_name, sha256 FROM packages ORDER BY path').all() as
        { id: number; path: string; record_id: number | null; app_name: string | null; sha256: string }[];
      expect(rows.map((r) => r.path)).toEqual([join(dir, 'broken.apk'), apk]);
      const fresh = join(tempDir('pool-reg-fresh'), 'copy.apk');
      // new content (a zip reader finds the archive behind a prefix): not in the facts cache, so parsed
      writeFileSync(fresh, Buffer.concat([Buffer.from('fresh bytes\n'), readFileSync(SAMPLE_APK)]));
      const jobs = [...rows.map((r) => ({ path: r.path, recordId: r.record_id, appHint: r.app_name })), { path: fresh, recordId: rows[1]!.record_id, appHint: rows[1]!.app_name }];
      for (const job of jobs) {
        const inWorker = await pool.scan(job);
        expect(untimed(inWorker), job.path).toEqual(untimed(await local.scanJob(job)));
      }
      const parsed = await pool.scan(jobs[2]!);
      expect(parsed.cached).toBe(false);
      expect(JSON.parse(parsed.factsJson!).id).toBe('cn.example.smartclass');
      expect(parsed.outcome?.result).toBeDefined();
      expect((await pool.scan(jobs[1]!)).cached).toBe(true);
      expect((await pool.scan(jobs[0]!)).error?.code).toBe('E_NOT_ZIP');
      const evals = rows.map((r) => ({ packageId: r.id, sha256: r.sha256, recordId: r.record_id, appHint: r.app_name }));
      evals.push({ packageId: 999, sha256: '0'.repeat(64), recordId: null, appHint: null });
      expect(await pool.eval(evals)).toEqual(evals.map((j) => local.evalJob(j)));
    } finally {
      await pool.close();
      db.close();
    }
  });

  it('a worker that cannot open the registry, or sees other rules: every job is a typed failed result', async () => {
    const dir = tempDir('pool-reg-bad');
    const notDb = join(dir, 'not.db');
    writeFileSync(notDb, 'this is not an SQLite database, it is sixty-four bytes of text...');
    const ruleSet = loadRuleSet();
    const broken = startJobPool(1, { dbPath: notDb, rulesDigest: ruleSet.digest, today: TODAY });
    try {
      const r = await broken.scan({ path: SAMPLE_APK, recordId: null, appHint: null });
      expect(r).toMatchObject({ path: SAMPLE_APK, parserVersion: PARSER_VERSION, cached: false, error: { code: 'E_DB' } });
      const [e] = await broken.eval([{ packageId: 1, sha256: 'a'.repeat(64), recordId: null, appHint: null }]);
      expect(e).toEqual({ packageId: 1, error: r.error });
    } finally {
      await broken.close();
    }
    const { dir: d2 } = sampleFolder('pool-reg-rules');
    const { db, path } = openTemp(d2);
    db.close();
    const stale = startJobPool(1, { dbPath: path, rulesDigest: 'f'.repeat(64), today: TODAY });
    try {
      const r = await stale.scan({ path: SAMPLE_APK, recordId: null, appHint: null });
      expect(r.error?.code).toBe('E_CONFIG');
      expect(r.error?.message).toMatch(/^the rules changed during the run/);
    } finally {
      await stale.close();
    }
  });
});
