// Faults and load over real HTTP: the size cap enforced while streaming (413 before the client is done, no temp
// file left), a client that goes away mid-upload (no temp file left), a full queue (503 + Retry-After), 50
// concurrent uploads with none lost, and upload throughput. Figures are printed for the report.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFiles } from '../helpers/corpus.js';
import { filesIn, get, pkgPart, startServer, upload, type TestServer } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples/android/smartclass.apk');
const MiB = 1024 * 1024;

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 25);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

describe('upload limits and faults', () => {
  let t: TestServer;
  let big: string;
  beforeAll(async () => {
    t = await startServer({ maxUploadBytes: 4 * MiB });
    big = join(t.dir, 'big.apk');
    writeFileSync(big, randomBytes(32 * MiB));
  });
  afterAll(async () => {
    await t.close();
  });

  it('an oversize upload is refused mid-stream with 413 and its temp file is removed', async () => {
    let sawTemp = false;
    const r = await upload(t.base, '/api/v1/scans', [pkgPart(big)], { token: t.tokens.provider, onSent: () => { sawTemp ||= filesIn(t.tmpDir).length > 0; } });
    expect(r.status).toBe(413);
    expect(r.json().error.code).toBe('E_TOO_LARGE');
    // refused before the client had sent everything: the cap is checked while streaming
    expect(r.sentAtResponse).toBeLessThan(statSync(big).size);
    expect(sawTemp, 'the upload was being written to a temp file').toBe(true);
    expect(await waitFor(() => filesIn(t.tmpDir).length === 0, 2000)).toBe(true);
    // nothing stored for a refused upload
    const list = (await get(t.base, '/api/v1/scans', { token: t.tokens.provider })).json();
    expect(list.scans).toEqual([]);
  });

  it('a client that goes away mid-upload leaves no file', async () => {
    let sawTemp = false;
    const r = upload(t.base, '/api/v1/scans', [pkgPart(big)], { token: t.tokens.provider, abortAfter: 2 * MiB, onSent: () => { sawTemp ||= filesIn(t.tmpDir).length > 0; } });
    await expect(r).rejects.toThrow();
    expect(sawTemp, 'the upload was being written to a temp file').toBe(true);
    expect(await waitFor(() => filesIn(t.tmpDir).length === 0, 3000)).toBe(true);
    expect((await get(t.base, '/api/v1/health')).json().queue.admitted).toBe(0);
  });

  it('upload throughput (cap raised): 256 MiB streamed, hashed and stored', async () => {
    const s = await startServer({ maxUploadBytes: 512 * MiB });
    try {
      const file = join(s.dir, 'huge.apk');
      const buf = randomBytes(MiB);
      writeFileSync(file, '');
      for (let i = 0; i < 256; i++) writeFileSync(file, buf, { flag: 'a' });
      const rss = rssSampler();
      const t0 = performance.now();
      const r = await upload(s.base, '/api/v1/scans', [pkgPart(file)], { token: s.tokens.provider });
      const ms = performance.now() - t0;
      const peak = rss.stop();
      // random bytes are not a zip: a typed refusal after the whole body was stored and hashed
      expect(r.status).toBe(422);
      expect(r.json().error.code).toBe('E_NOT_ZIP');
      const row = (await get(s.base, '/api/v1/scans', { token: s.tokens.provider })).json().scans[0];
      expect(row.size).toBe(256 * MiB);
      const h = createHash('sha256');
      for (let i = 0; i < 256; i++) h.update(buf);
      expect(row.sha256).toBe(h.digest('hex'));
      expect(filesIn(s.tmpDir)).toEqual([]);
      console.log(`[figures] 256 MiB upload: ${ms.toFixed(0)} ms = ${(256 / (ms / 1000)).toFixed(0)} MiB/s; peak RSS (server+client process) ${(peak / MiB).toFixed(0)} MiB`);
    } finally {
      await s.close();
    }
  }, 120_000);
});

describe('load', () => {
  it('a full queue answers 503 with Retry-After', async () => {
    const s = await startServer({ queueCapacity: 1, workers: 1, retryAfterSeconds: 2 });
    try {
      // hold the only place with an upload that is still streaming
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      const first = upload(s.base, '/api/v1/scans', [pkgPart(SAMPLE)], { token: s.tokens.provider, pauseAfterHead: gate });
      await waitFor(() => false, 200);
      const r = await upload(s.base, '/api/v1/scans', [pkgPart(SAMPLE)], { token: s.tokens.provider });
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('2');
      expect(r.json().error.code).toBe('E_QUEUE_FULL');
      release();
      expect((await first).status).toBe(201);
    } finally {
      await s.close();
    }
  }, 30_000);

  it('50 concurrent uploads on loopback: none lost, bounded queue, bounded memory', async () => {
    const s = await startServer({ queueCapacity: 8, workers: 2, retryAfterSeconds: 1 });
    try {
      const corpus = corpusFiles('apk').filter((f) => statSync(f).size < 4 * MiB).slice(0, 50);
      const files = Array.from({ length: 50 }, (_, i) => corpus[i % Math.max(corpus.length, 1)] ?? SAMPLE);
      const md5 = new Map(files.map((f) => [f, createHash('md5').update(readFileSync(f)).digest('hex')]));
      let refusals = 0;
      let peakAdmitted = 0;
      const watch = setInterval(() => { peakAdmitted = Math.max(peakAdmitted, s.server.ctx.queue.size.admitted); }, 5);
      const rss = rssSampler();
      const t0 = performance.now();
      const results = await Promise.all(files.map(async (f) => {
        for (let attempt = 0; attempt < 100; attempt++) {
          const r = await upload(s.base, '/api/v1/scans', [pkgPart(f)], { token: s.tokens.provider });
          if (r.status !== 503) return { f, r };
          refusals++;
          expect(Number(r.headers['retry-after'])).toBe(1);
          await new Promise((res) => setTimeout(res, 1000 * Number(r.headers['retry-after']) * Math.random()));
        }
        throw new Error(`${f}: still refused after 100 attempts`);
      }));
      const ms = performance.now() - t0;
      const peak = rss.stop();
      clearInterval(watch);
      // every upload ended in a stored scan: 201 with a result, or a typed 422 for a hostile package
      for (const { f, r } of results) {
        expect([201, 422], `${f}: ${r.text.slice(0, 200)}`).toContain(r.status);
      }
      const list = (await get(s.base, '/api/v1/scans?limit=200', { token: s.tokens.reviewer })).json();
      expect(list.scans).toHaveLength(50);
      const ids = new Set(list.scans.map((x: { id: number }) => x.id));
      expect(ids.size).toBe(50);
      for (const x of list.scans as { filename: string; md5: string; status: string }[]) {
        expect(['done', 'error']).toContain(x.status);
        expect([...md5.entries()].some(([f, m]) => f.endsWith(x.filename) && m === x.md5)).toBe(true);
      }
      expect(peakAdmitted).toBeLessThanOrEqual(8);
      expect(filesIn(s.tmpDir)).toEqual([]);
      expect(ms).toBeLessThan(120_000);
      console.log(`[figures] 50 concurrent uploads (${new Set(files).size} distinct packages, queue 8, 2 workers): ${ms.toFixed(0)} ms, ${refusals} 503 refusals retried, peak admitted ${peakAdmitted}, peak RSS (server+clients+workers, one process) ${(peak / MiB).toFixed(0)} MiB, ok ${results.filter((x) => x.r.status === 201).length}, 422 ${results.filter((x) => x.r.status === 422).length}`);
      expect(peak).toBeLessThan(1024 * MiB);
    } finally {
      const c0 = performance.now();
      await s.close();
      console.log(`[figures] graceful close after the load: ${(performance.now() - c0).toFixed(0)} ms`);
    }
  }, 180_000);
});
