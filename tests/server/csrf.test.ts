// The session cookie is honoured on state-changing requests only when they come from the service's own pages:
// SameSite=Strict is the first lock, Fetch Metadata / Origin the second. Bearer tokens are not affected.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerDb } from '../../src/server/db.js';
import { get, pkgPart, startServer, upload, type TestServer } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples/android/smartclass.apk');
const RECORD = join(ROOT, 'samples/filing/smartclass.provider.yaml');

describe('cross-site requests with the session cookie', () => {
  let t: TestServer;
  let scanId: number;
  let rules: string[];
  let cookie: string;

  const suppressions = async (): Promise<unknown[]> => (await get(t.base, `/api/v1/scans/${scanId}`, { token: t.tokens.reviewer })).json().result.findings.filter((f: { suppressed?: unknown }) => f.suppressed);
  const post = (rule: string, headers: Record<string, string>) =>
    get(t.base, `/scans/${scanId}/suppress`, { method: 'POST', cookie, body: { rule, reason: 'csrf test' }, headers });

  beforeAll(async () => {
    t = await startServer();
    const r = await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE), { field: 'record', filename: 'r.yaml', data: readFileSync(RECORD) }], { token: t.tokens.provider });
    scanId = r.json().id;
    rules = [...new Set<string>(r.json().result.findings.map((f: { rule: string }) => f.rule))];
    const login = await get(t.base, '/login', { method: 'POST', body: { token: t.tokens.reviewer } });
    expect(login.status).toBe(303);
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
  });
  afterAll(async () => {
    await t.close();
  });

  it('another site (Origin) is sent to the login page and nothing is suppressed', async () => {
    const r = await post(rules[0]!, { origin: 'http://evil.example' });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/login');
    expect(await suppressions()).toHaveLength(0);
    expect(t.logs.some((l) => l.includes('session cookie ignored on a cross-site request'))).toBe(true);
  });

  it('Sec-Fetch-Site: cross-site and same-site are refused even with a matching Origin', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const r = await post(rules[0]!, { 'sec-fetch-site': site, origin: `http://127.0.0.1:${t.port}` });
      expect(r.headers.location).toBe('/login');
    }
    expect(await suppressions()).toHaveLength(0);
  });

  it('an opaque origin ("null", sandboxed frames) is refused', async () => {
    const r = await post(rules[0]!, { origin: 'null' });
    expect(r.headers.location).toBe('/login');
  });

  it('the service\'s own page (same origin) works, and so does a request without either header', async () => {
    const r = await post(rules[0]!, { origin: `http://127.0.0.1:${t.port}`, 'sec-fetch-site': 'same-origin' });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`/scans/${scanId}`);
    expect(await suppressions()).toHaveLength(rules.filter((x) => x === rules[0]).length);
    const plain = await post(rules[1] ?? rules[0]!, {});
    expect(plain.headers.location).toBe(`/scans/${scanId}`);
  });

  it('a cross-site GET still shows pages (reading is not a state change)', async () => {
    const r = await get(t.base, `/scans/${scanId}`, { cookie, headers: { 'sec-fetch-site': 'cross-site' } });
    expect(r.status).toBe(200);
  });

  it('expired sessions are swept at the next login', async () => {
    const db = openServerDb(join(t.dir, 'eduscan.db'));
    db.prepare("UPDATE server_sessions SET expires_at = '2000-01-01T00:00:00.000Z'").run();
    const stale = (db.prepare('SELECT COUNT(*) AS n FROM server_sessions').get() as { n: number }).n;
    expect(stale).toBeGreaterThan(0);
    db.close();
    const login = await get(t.base, '/login', { method: 'POST', body: { token: t.tokens.admin } });
    expect(login.status).toBe(303);
    const db2 = openServerDb(join(t.dir, 'eduscan.db'));
    const left = db2.prepare('SELECT expires_at FROM server_sessions').all() as { expires_at: string }[];
    db2.close();
    expect(left).toHaveLength(1);
    expect(left[0]!.expires_at > new Date().toISOString()).toBe(true);
  });
});
