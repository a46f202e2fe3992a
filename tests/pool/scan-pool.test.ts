// The shared scan pool (src/pool/scan-pool.ts) with real packages — its results equal an in-process scan —
// and with hostile jobs from a TEST-ONLY job module (fixtures/hostile-jobs.ts) that hang, throw, kill their
// worker or exhaust its heap. No assertion depends on timing: time limits are generous and waits are gated.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScanPool, WORKER_HEAP_MB, type JobOutcome } from '../../src/pool/scan-pool.js';
import { scanPackage } from '../../src/scan.js';
import { CORPUS, corpusFiles } from '../helpers/corpus.js';
import { hasTool } from '../helpers/tools.js';
import type { HostileInit, HostileJobs } from './fixtures/hostile-jobs.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE_APK = join(ROOT, 'samples/android/smartclass.apk');
const SAMPLE_IPA = join(ROOT, 'samples/ios/eduscan-sample.ipa');
const HOSTILE = new URL('./fixtures/hostile-jobs.ts', import.meta.url);
const TMP = mkdtempSync(join(tmpdir(), 'eduscan-pool-test-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** The in-process result of a scan, in the pool's outcome shape. */
async function inProcess(path: string): Promise<JobOutcome<unknown>> {
  try {
    return { value: await scanPackage(path) };
  } catch (e) {
    const err = e as { code: string; message: string };
    return { error: { code: err.code, message: err.message } };
  }
}

function hostilePool(opts: { size?: number; maxQueued?: number; heapMb?: number } & Partial<HostileInit> = {}): ScanPool<HostileJobs> {
  return new ScanPool<HostileJobs>({
    size: opts.size ?? 1,
    ...(opts.maxQueued !== undefined ? { maxQueued: opts.maxQueued } : {}),
    ...(opts.heapMb ? { resourceLimits: { maxOldGenerationSizeMb: opts.heapMb } } : {}),
    jobs: { module: HOSTILE, init: { tag: opts.tag ?? 'hostile', ...(opts.disposeMarker ? { disposeMarker: opts.disposeMarker } : {}) } satisfies HostileInit },
  });
}

/** A job the test releases when it wants: the worker blocks on a shared flag. */
function gate(): { flag: SharedArrayBuffer; open(): void } {
  const flag = new SharedArrayBuffer(4);
  return {
    flag,
    open() {
      const view = new Int32Array(flag);
      Atomics.store(view, 0, 1);
      Atomics.notify(view, 0);
    },
  };
}

/** Lets pending callbacks run (messages from workers, timers due now). */
const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('scan pool with real packages', () => {
  it('the sample APK and IPA: the same facts as an in-process scan; digests and package name from other tools', async () => {
    const pool = new ScanPool({ size: 2 });
    try {
      const [apk, ipa] = await Promise.all([pool.scan(SAMPLE_APK), pool.scan(SAMPLE_IPA)]);
      expect(apk.error).toBeUndefined();
      expect(apk.value).toEqual((await inProcess(SAMPLE_APK)).value);
      expect(ipa.value).toEqual((await inProcess(SAMPLE_IPA)).value);
      const bytes = readFileSync(SAMPLE_APK);
      expect(apk.value!.file.md5).toBe(createHash('md5').update(bytes).digest('hex'));
      expect(apk.value!.file.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      if (hasTool('aapt')) {
        const badging = execFileSync('aapt', ['dump', 'badging', SAMPLE_APK], { encoding: 'utf8' });
        expect(apk.value!.id).toBe(/^package: name='([^']+)'/m.exec(badging)![1]);
      }
    } finally {
      await pool.close();
    }
  });

  it('scan options reach the parser: a cap of 1 zip entry is a typed E_LIMIT from the parser, not the pool', async () => {
    const pool = new ScanPool({ size: 1 });
    try {
      const r = await pool.scan(SAMPLE_APK, { limits: { maxEntries: 1 } });
      expect(r.error?.code).toBe('E_LIMIT');
      expect(r.error?.limit).toBeUndefined();
      let direct: unknown;
      await scanPackage(SAMPLE_APK, { limits: { maxEntries: 1 } }).catch((e: unknown) => { direct = e; });
      expect(r.error?.message).toBe((direct as Error).message);
      expect((await pool.scan(join(TMP, 'missing.apk'))).error?.code).toBe('E_IO');
    } finally {
      await pool.close();
    }
  });

  it.skipIf(!CORPUS)('every corpus package through 2 workers at once: each outcome equals the in-process scan', async () => {
    const files = [...corpusFiles('apk'), ...corpusFiles('ipa')];
    const pool = new ScanPool({ size: 2 });
    try {
      const pooled = await Promise.all(files.map((f) => pool.scan(f)));
      let failures = 0;
      for (const [i, f] of files.entries()) {
        const direct = await inProcess(f);
        expect(pooled[i], f).toEqual(direct);
        if (direct.error) failures++;
      }
      // the corpus holds hostile packages: typed failures must be among the outcomes
      expect(failures).toBeGreaterThan(0);
      expect(failures).toBeLessThan(files.length);
    } finally {
      await pool.close();
    }
  }, 180_000);
});

describe('scan pool with hostile jobs', () => {
  it('a job past its time limit ends with E_LIMIT and its worker is replaced; a stuck worker blocks only itself', async () => {
    const pool = hostilePool({ size: 2 });
    try {
      const before = new Set((await Promise.all([pool.run('whoami', null), pool.run('whoami', null)])).map((x) => x.value!.threadId));
      let longEnded = false;
      const long = pool.run('hang', null, { timeoutMs: 120_000 }).then((r) => {
        longEnded = true;
        return r;
      });
      // one worker is stuck: the other one still parses a real package, and then runs into its own limit
      expect((await pool.scan(SAMPLE_APK)).value?.id).toBe('cn.example.smartclass');
      expect(await pool.run('hang', null, { timeoutMs: 1000 })).toEqual({ error: { code: 'E_LIMIT', limit: 'timeoutMs', message: 'the scan took longer than 1 s' } });
      expect(longEnded).toBe(false);
      // the only free worker now is the fresh thread that took the stopped one's place
      const fresh = await pool.run('whoami', null);
      expect(before.has(fresh.value!.threadId)).toBe(false);
      expect(pool.stats).toEqual({ workers: 2, busy: 1, queued: 0 });
      await pool.close({ graceMs: 0 });
      expect((await long).error?.message).toBe('the scan pool closed while the job ran');
    } finally {
      await pool.close({ graceMs: 0 });
    }
  });

  it('a job that throws ends with its error and the worker stays; a typed error keeps its code and message', async () => {
    const pool = hostilePool();
    try {
      const t0 = (await pool.run('whoami', null)).value!.threadId;
      const bug = await pool.run('throw', null);
      expect(bug.error?.code).toBe('E_INTERNAL');
      expect(bug.error?.message).toMatch(/^Error: test: a bug in a parser \| +at throw /);
      const typed = await pool.run('throw-typed', null);
      expect(typed.error).toEqual({ code: 'E_BAD_DEX', message: 'test: DEX header: expected magic dex\\n, found zeros at offset 0' });
      const unclonable = await pool.run('unclonable', null);
      expect(unclonable.error?.code).toBe('E_INTERNAL');
      expect(unclonable.error?.message).toMatch(/could not be cloned/);
      expect((await pool.run('whoami', null)).value!.threadId).toBe(t0);
    } finally {
      await pool.close();
    }
  });

  it('a worker that exits or dies of an uncaught error fails only its own job and is replaced', async () => {
    const pool = hostilePool({ size: 2 });
    try {
      const g = gate();
      // the other worker is busy with a job that must come through untouched
      const bystander = pool.run('gate', { flag: g.flag, value: 'untouched' });
      const exit = await pool.run('exit', { code: 3 });
      expect(exit.error).toEqual({ code: 'E_INTERNAL', message: 'the worker exited with code 3' });
      const crash = await pool.run('crash', null);
      expect(crash.error).toEqual({ code: 'E_INTERNAL', message: 'the worker failed: test: uncaught in a callback' });
      expect((await pool.scan(SAMPLE_APK)).value?.id).toBe('cn.example.smartclass');
      g.open();
      expect(await bystander).toEqual({ value: 'untouched' });
      expect(pool.stats).toEqual({ workers: 2, busy: 0, queued: 0 });
    } finally {
      await pool.close({ graceMs: 0 });
    }
  });

  it('a worker out of heap (resource limits) fails its job with E_LIMIT and is replaced', async () => {
    const capped = hostilePool();
    // the default cap reaches the workers (V8 adds the young generation, tens of MB, to the old-space cap)
    const limit = (await capped.run('whoami', null)).value!.heapLimitMb;
    await capped.close();
    expect(limit).toBeGreaterThanOrEqual(WORKER_HEAP_MB);
    expect(limit).toBeLessThan(WORKER_HEAP_MB + 128);
    const pool = hostilePool({ heapMb: 32 });
    try {
      expect((await pool.run('whoami', null)).value!.heapLimitMb).toBeLessThan(32 + 128);
      const r = await pool.run('oom', null);
      expect(r.error).toEqual({ code: 'E_LIMIT', limit: 'maxOldGenerationSizeMb', message: "the job used more than the worker's 32 MB of heap" });
      expect((await pool.scan(SAMPLE_APK)).value?.id).toBe('cn.example.smartclass');
    } finally {
      await pool.close();
    }
  });

  it('a full queue refuses at once with E_QUEUE_FULL, and `full` says so before a job is sent', async () => {
    const pool = hostilePool({ size: 1, maxQueued: 2 });
    try {
      const g = gate();
      expect(pool.full).toBe(false);
      const running = pool.run('gate', { flag: g.flag, value: 'a' });
      const queued = [pool.run('gate', { flag: g.flag, value: 'b' }), pool.run('gate', { flag: g.flag, value: 'c' })];
      expect(pool.stats).toEqual({ workers: 1, busy: 1, queued: 2 });
      expect(pool.full).toBe(true);
      expect(await pool.run('whoami', null)).toEqual({ error: { code: 'E_QUEUE_FULL', message: 'the scan queue is full (2 waiting)' } });
      expect((await pool.scan(SAMPLE_APK)).error?.code).toBe('E_QUEUE_FULL');
      g.open();
      expect((await Promise.all([running, ...queued])).map((r) => r.value)).toEqual(['a', 'b', 'c']);
      expect(pool.full).toBe(false);
      expect((await pool.run('whoami', null)).value?.tag).toBe('hostile');
    } finally {
      await pool.close({ graceMs: 0 });
    }
  });

  it('close() while busy finishes the running and queued jobs, releases each worker, then refuses new jobs', async () => {
    const marker = join(TMP, 'disposed-finish');
    const pool = hostilePool({ size: 2, disposeMarker: marker });
    const g = gate();
    const jobs = [pool.run('gate', { flag: g.flag, value: 'a' }), pool.run('gate', { flag: g.flag, value: 'b' }), pool.run('gate', { flag: g.flag, value: 'c' })];
    let closed = false;
    const closing = pool.close().then(() => { closed = true; });
    expect(await pool.run('whoami', null)).toEqual({ error: { code: 'E_CANCELLED', message: 'the scan pool is closed' } });
    await turns();
    expect(closed, 'close waits for the jobs').toBe(false);
    g.open();
    expect((await Promise.all(jobs)).map((r) => r.value)).toEqual(['a', 'b', 'c']);
    await closing;
    // each worker ran its module's dispose (the registry closes its database there)
    expect(readFileSync(marker, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(pool.stats.workers).toBe(0);
  });

  it('close({graceMs: 0}) cancels a stuck job and the queue; a grace period ends a stuck job after it', async () => {
    const pool = hostilePool({ size: 1 });
    const stuck = pool.run('hang', null);
    const queued = pool.run('whoami', null);
    await pool.close({ graceMs: 0 });
    expect(await stuck).toEqual({ error: { code: 'E_CANCELLED', message: 'the scan pool closed while the job ran' } });
    expect(await queued).toEqual({ error: { code: 'E_CANCELLED', message: 'the scan pool closed before the job started' } });
    expect(pool.stats.workers).toBe(0);

    const graced = hostilePool({ size: 1 });
    const done = graced.run('whoami', null);
    const stuck2 = graced.run('hang', null);
    await graced.close({ graceMs: 300 });
    expect((await done).value?.tag).toBe('hostile');
    expect((await stuck2).error?.message).toBe('the scan pool closed while the job ran');
  });

  it('a job module whose set-up fails: every job ends with its typed error, and no worker is respawned', async () => {
    const pool = new ScanPool<{ noop: { payload: null; result: null } }>({ size: 1, jobs: { module: new URL('./fixtures/broken-jobs.ts', import.meta.url) } });
    try {
      const want = { error: { code: 'E_DB', message: 'test: cannot open the registry database: file is not a database' } };
      expect(await pool.run('noop', null)).toEqual(want);
      expect(await pool.scan(SAMPLE_APK)).toEqual(want);
      expect(pool.stats.workers).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('workers that die while starting: after a few attempts the pool stops respawning and fails jobs with why', async () => {
    const pool = new ScanPool({ size: 1, jobs: { module: new URL('./fixtures/dies-on-start.ts', import.meta.url) } });
    try {
      const outcomes = await Promise.all([1, 2, 3, 4].map(() => pool.scan(SAMPLE_APK)));
      for (const o of outcomes) expect(o.error?.code).toBe('E_INTERNAL');
      expect(outcomes[0]!.error?.message).toBe('the worker exited with code 7');
      expect(outcomes[3]!.error?.message).toBe('the scan workers cannot start: the worker exited with code 7');
      expect(await pool.scan(SAMPLE_APK)).toEqual({ error: outcomes[3]!.error });
      expect(pool.stats.workers).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('an unknown job kind is a typed error, not a crash', async () => {
    const pool = new ScanPool({ size: 1 });
    try {
      expect(await (pool as unknown as ScanPool<HostileJobs>).run('hang', null)).toEqual({ error: { code: 'E_INTERNAL', message: 'no job kind `hang` in this pool' } });
      expect(existsSync(SAMPLE_APK)).toBe(true);
      expect((await pool.scan(SAMPLE_APK)).value?.id).toBe('cn.example.smartclass');
    } finally {
      await pool.close();
    }
  });
});
