// Every route × no token / unknown token / provider / reviewer / admin, and every refusal logged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, pkgPart, startServer, upload, type HttpResult, type TestServer } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples/android/smartclass.apk');
const RECORD = join(ROOT, 'samples/filing/smartclass.provider.yaml');

type Who = 'none' | 'bogus' | 'provider' | 'reviewer' | 'admin';
const WHO: Who[] = ['none', 'bogus', 'provider', 'reviewer', 'admin'];

describe('auth matrix', () => {
  let t: TestServer;
  let scanId: number;
  let rule: string;
  const token = (w: Who): string | undefined => (w === 'none' ? undefined : w === 'bogus' ? 'edu_not-a-real-token' : t.tokens[w]);

  beforeAll(async () => {
    t = await startServer();
    const r = await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE), { field: 'record', filename: 'r.yaml', data: readFileSync(RECORD) }], { token: t.tokens.provider });
    scanId = r.json().id;
    rule = r.json().result.findings[0].rule;
  });
  afterAll(async () => {
    await t.close();
  });

  // Expected status per route and principal; anything with no principal is 401 (pages: 303 to /login).
  const routes: { name: string; call: (tok?: string) => Promise<HttpResult>; expect: Record<Who, number> }[] = [
    { name: 'GET /api/v1/health', call: (tok) => get(t.base, '/api/v1/health', { ...(tok ? { token: tok } : {}) }), expect: { none: 200, bogus: 200, provider: 200, reviewer: 200, admin: 200 } },
    { name: 'POST /api/v1/scans', call: (tok) => upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE)], { ...(tok ? { token: tok } : {}) }), expect: { none: 401, bogus: 401, provider: 201, reviewer: 201, admin: 201 } },
    { name: 'GET /api/v1/scans', call: (tok) => get(t.base, '/api/v1/scans', { ...(tok ? { token: tok } : {}) }), expect: { none: 401, bogus: 401, provider: 200, reviewer: 200, admin: 200 } },
    { name: 'GET /api/v1/scans/:id', call: (tok) => get(t.base, `/api/v1/scans/${scanId}`, { ...(tok ? { token: tok } : {}) }), expect: { none: 401, bogus: 401, provider: 200, reviewer: 200, admin: 200 } },
    { name: 'GET /api/v1/scans/:id/report', call: (tok) => get(t.base, `/api/v1/scans/${scanId}/report?format=sarif`, { ...(tok ? { token: tok } : {}) }), expect: { none: 401, bogus: 401, provider: 200, reviewer: 200, admin: 200 } },
    {
      name: 'POST /api/v1/scans/:id/suppressions',
      call: (tok) => get(t.base, `/api/v1/scans/${scanId}/suppressions`, { method: 'POST', body: { rule, reason: 'matrix' }, ...(tok ? { token: tok } : {}) }),
      expect: { none: 401, bogus: 401, provider: 403, reviewer: 201, admin: 201 },
    },
    { name: 'GET /api/v1/tokens', call: (tok) => get(t.base, '/api/v1/tokens', { ...(tok ? { token: tok } : {}) }), expect: { none: 401, bogus: 401, provider: 403, reviewer: 403, admin: 200 } },
    { name: 'GET /scans (page)', call: (tok) => get(t.base, '/scans', { ...(tok ? { token: tok } : {}) }), expect: { none: 303, bogus: 303, provider: 200, reviewer: 200, admin: 200 } },
    { name: 'GET /scans/:id (page)', call: (tok) => get(t.base, `/scans/${scanId}`, { ...(tok ? { token: tok } : {}) }), expect: { none: 303, bogus: 303, provider: 200, reviewer: 200, admin: 200 } },
  ];

  for (const route of routes) {
    for (const who of WHO) {
      it(`${route.name} as ${who} → ${route.expect[who]}`, async () => {
        const before = t.logs.length;
        const r = await route.call(token(who));
        expect(r.status, r.text.slice(0, 200)).toBe(route.expect[who]);
        if (r.status === 401 || r.status === 403) {
          expect(r.json().error.code).toBe(r.status === 401 ? 'E_AUTH' : 'E_FORBIDDEN');
        }
        if (r.status === 303) expect(r.headers.location).toBe('/login');
        const refused = t.logs.slice(before).map((l) => JSON.parse(l) as { refused?: number; msg: string }).filter((l) => l.refused);
        if ([401, 403, 303].includes(r.status)) {
          expect(refused.length, 'the refusal is logged').toBeGreaterThan(0);
          // the secret never reaches the log
          expect(t.logs.slice(before).join('')).not.toContain('edu_not-a-real-token');
        } else expect(refused).toEqual([]);
      });
    }
  }

  it('another provider cannot read the scan (404, not 403: existence is not revealed)', async () => {
    expect((await get(t.base, `/api/v1/scans/${scanId}`, { token: t.tokens.provider2 })).status).toBe(404);
    expect((await get(t.base, `/api/v1/scans/${scanId}/report`, { token: t.tokens.provider2 })).status).toBe(404);
    expect((await get(t.base, `/scans/${scanId}`, { token: t.tokens.provider2 })).status).toBe(404);
  });

  it('a revoked token is refused at once', async () => {
    const { openServerDb } = await import('../../src/server/db.js');
    const { createToken, revokeToken } = await import('../../src/server/tokens.js');
    const d = openServerDb(join(t.dir, 'eduscan.db'));
    const tok = createToken(d, 'reviewer', 'temp').token;
    expect((await get(t.base, '/api/v1/scans', { token: tok })).status).toBe(200);
    expect(revokeToken(d, 'temp')).toBe(1);
    d.close();
    expect((await get(t.base, '/api/v1/scans', { token: tok })).status).toBe(401);
  });

  it('tokens are stored only as hashes', async () => {
    const Database = (await import('better-sqlite3')).default;
    const d = new Database(join(t.dir, 'eduscan.db'), { readonly: true });
    const dump = JSON.stringify(d.prepare('SELECT * FROM server_tokens').all());
    d.close();
    for (const tok of Object.values(t.tokens)) expect(dump).not.toContain(tok);
  });
});
