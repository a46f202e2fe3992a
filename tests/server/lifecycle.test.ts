// Faults around a scan: a scan past its time limit (the worker is terminated and replaced, the server goes on),
// graceful shutdown finishing an in-flight upload, scans left running by a dead server recorded as interrupted.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openServerDb } from '../../src/server/db.js';
import { filesIn, get, pkgPart, startServer, upload } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples/android/smartclass.apk');

describe('scan faults and shutdown', () => {
  it('a scan past its time limit is a 422 E_LIMIT, its worker is replaced and the next scan works', async () => {
    const s = await startServer({ workers: 1 });
    try {
      s.server.ctx.opts.scanTimeoutMs = 1;
      const r = await upload(s.base, '/api/v1/scans', [pkgPart(SAMPLE)], { token: s.tokens.provider });
      expect(r.status).toBe(422);
      expect(r.json().error.code).toBe('E_LIMIT');
      expect(r.json().error.message).toMatch(/longer than/);
      s.server.ctx.opts.scanTimeoutMs = 60_000;
      const ok = await upload(s.base, '/api/v1/scans', [pkgPart(SAMPLE)], { token: s.tokens.provider });
      expect(ok.status, ok.text).toBe(201);
      const list = (await get(s.base, '/api/v1/scans', { token: s.tokens.provider })).json().scans;
      expect(list.map((x: { status: string }) => x.status)).toEqual(['done', 'error']);
      expect(filesIn(s.tmpDir)).toEqual([]);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('graceful shutdown lets an in-flight upload finish and store its scan', async () => {
    const s = await startServer();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const inflight = upload(s.base, '/api/v1/scans', [pkgPart(SAMPLE)], { token: s.tokens.provider, pauseAfterHead: gate });
    await new Promise((r) => setTimeout(r, 200));
    const closing = s.server.close();
    let closed = false;
    void closing.then(() => { closed = true; });
    await new Promise((r) => setTimeout(r, 300));
    expect(closed, 'close waits for the upload in flight').toBe(false);
    release();
    const r = await inflight;
    expect(r.status, r.text).toBe(201);
    await closing;
    const d = openServerDb(join(s.dir, 'eduscan.db'));
    const rows = d.prepare('SELECT status, verdict FROM server_scans').all() as { status: string; verdict: string }[];
    d.close();
    expect(rows).toEqual([{ status: 'done', verdict: r.json().result.verdict }]);
    await s.close();
  }, 60_000);

  it('scans a dead server left running are recorded as interrupted at the next start', async () => {
    const s = await startServer();
    const dbPath = join(s.dir, 'eduscan.db');
    await s.server.close();
    const d = openServerDb(dbPath);
    d.prepare(`INSERT INTO server_scans (token_id, owner, filename, size, md5, sha256, status, created_at)
      VALUES (1, 'provider-a', 'x.apk', 1, 'm', 's', 'running', '2026-01-01T00:00:00Z')`).run();
    d.close();
    const { buildServer } = await import('../../src/server/app.js');
    const again = await buildServer({ db: dbPath, tmpDir: s.tmpDir, logger: false, workers: 1 });
    const row = again.ctx.db.prepare('SELECT status, error_code AS code FROM server_scans').get();
    expect(row).toEqual({ status: 'interrupted', code: 'E_INTERRUPTED' });
    await again.close();
    await s.close();
  }, 60_000);
});
