// The API over real HTTP on 127.0.0.1: upload + check with and without a filing record, digests against
// openssl, every report format, listing, reviewer suppressions, typed errors.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool } from '../helpers/tools.js';
import { filesIn, get, pkgPart, startServer, upload, type TestServer } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples/android/smartclass.apk');
const RECORD = join(ROOT, 'samples/filing/smartclass.provider.yaml');

function openssl(alg: string, path: string): string {
  return execFileSync('openssl', ['dgst', `-${alg}`, '-r', path], { encoding: 'utf8' }).split(' ')[0]!;
}

describe('API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('health answers without a token', async () => {
    const r = await get(t.base, '/api/v1/health');
    expect(r.status).toBe(200);
    expect(r.json().status).toBe('ok');
  });

  it('uploads the sample APK with its filing record and stores the check', async () => {
    const r = await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE), { field: 'record', filename: 'smartclass.provider.yaml', data: readFileSync(RECORD) }], { token: t.tokens.provider });
    expect(r.status, r.text).toBe(201);
    const b = r.json();
    expect(b.id).toBeGreaterThan(0);
    expect(r.headers.location).toBe(`/api/v1/scans/${b.id}`);
    expect(b.result.record.app).toBeTruthy();
    expect(['pass', 'explain', 'fail', 'unassessable']).toContain(b.result.verdict);
    if (hasTool('openssl')) {
      expect(b.result.package.file.md5).toBe(openssl('md5', SAMPLE));
      expect(b.result.package.file.sha256).toBe(openssl('sha256', SAMPLE));
    }
    if (hasTool('aapt')) {
      // the package id as aapt reads it
      const badging = execFileSync('aapt', ['dump', 'badging', SAMPLE], { encoding: 'utf8' });
      expect(b.result.package.id).toBe(/package: name='([^']+)'/.exec(badging)![1]);
    }

    const s = await get(t.base, `/api/v1/scans/${b.id}`, { token: t.tokens.provider });
    expect(s.status).toBe(200);
    expect(s.json().md5).toBe(b.result.package.file.md5);
    expect(s.json().result.verdict).toBe(b.result.verdict);
    expect(filesIn(t.tmpDir)).toEqual([]);
  });

  it('uploads the sample IPA', async () => {
    const ipa = join(ROOT, 'samples/ios/eduscan-sample.ipa');
    const r = await upload(t.base, '/api/v1/scans', [pkgPart(ipa)], { token: t.tokens.provider });
    expect(r.status, r.text).toBe(201);
    expect(r.json().result.package.platform).toBe('ios');
    expect(r.json().result.package.file.size).toBe(readFileSync(ipa).length);
  });

  it('renders every report format', async () => {
    const up = (await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE)], { token: t.tokens.provider })).json();
    const json = await get(t.base, `/api/v1/scans/${up.id}/report?format=json`, { token: t.tokens.provider });
    expect(json.headers['content-type']).toMatch(/application\/json/);
    expect(json.json().verdict).toBe(up.result.verdict);
    const sarif = await get(t.base, `/api/v1/scans/${up.id}/report?format=sarif&lang=en`, { token: t.tokens.provider });
    expect(sarif.json().version).toBe('2.1.0');
    const html = await get(t.base, `/api/v1/scans/${up.id}/report?format=html`, { token: t.tokens.provider });
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.text).toContain('<html lang="zh-CN">');
    const en = await get(t.base, `/api/v1/scans/${up.id}/report?format=text&lang=en`, { token: t.tokens.provider });
    expect(en.headers['content-type']).toMatch(/text\/plain/);
    expect(en.text.length).toBeGreaterThan(100);
    const bad = await get(t.base, `/api/v1/scans/${up.id}/report?format=pdf`, { token: t.tokens.provider });
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('E_BAD_REQUEST');
  });

  it('a provider sees only its own scans; a reviewer sees all', async () => {
    const mine = (await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE)], { token: t.tokens.provider })).json();
    const other = await get(t.base, `/api/v1/scans/${mine.id}`, { token: t.tokens.provider2 });
    expect(other.status).toBe(404);
    const list2 = (await get(t.base, '/api/v1/scans', { token: t.tokens.provider2 })).json();
    expect(list2.scans.map((s: { id: number }) => s.id)).not.toContain(mine.id);
    const all = (await get(t.base, '/api/v1/scans', { token: t.tokens.reviewer })).json();
    expect(all.scans.map((s: { id: number }) => s.id)).toContain(mine.id);
    expect(all.scans.every((s: { owner: string }) => s.owner === 'provider-a')).toBe(true);
  });

  it('a reviewer suppresses a finding with a reason and the result is re-rendered', async () => {
    const up = (await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE), { field: 'record', filename: 'r.yaml', data: readFileSync(RECORD) }], { token: t.tokens.provider })).json();
    const f = up.result.findings.find((x: { suppressed?: unknown }) => !x.suppressed);
    expect(f, 'the sample has at least one finding').toBeTruthy();
    const noReason = await get(t.base, `/api/v1/scans/${up.id}/suppressions`, { token: t.tokens.reviewer, method: 'POST', body: { rule: f.rule, reason: ' ' } });
    expect(noReason.status).toBe(400);
    const r = await get(t.base, `/api/v1/scans/${up.id}/suppressions`, { token: t.tokens.reviewer, method: 'POST', body: { rule: f.rule, reason: 'explained in the filing letter', until: '2099-12-31' } });
    expect(r.status, r.text).toBe(201);
    const after = r.json().result.findings.filter((x: { rule: string }) => x.rule === f.rule);
    expect(after.every((x: { suppressed?: { by: string; reason: string } }) => x.suppressed?.by === 'reviewer-r' && x.suppressed.reason === 'explained in the filing letter')).toBe(true);
    const stored = (await get(t.base, `/api/v1/scans/${up.id}`, { token: t.tokens.provider })).json();
    expect(stored.result.findings.find((x: { rule: string }) => x.rule === f.rule).suppressed.by).toBe('reviewer-r');
  });

  it('a package that is not a package is a 422 with its code, and the server goes on', async () => {
    const r = await upload(t.base, '/api/v1/scans', [{ field: 'package', filename: 'x.apk', data: Buffer.from('definitely not a zip archive, just text') }], { token: t.tokens.provider });
    expect(r.status).toBe(422);
    expect(r.json().error.code).toMatch(/^E_/);
    const list = (await get(t.base, '/api/v1/scans', { token: t.tokens.provider })).json();
    expect(list.scans[0].status).toBe('error');
    expect(list.scans[0].error.code).toBe(r.json().error.code);
    expect((await get(t.base, '/api/v1/health')).status).toBe(200);
    expect(filesIn(t.tmpDir)).toEqual([]);
  });

  it('a bad record is a 422 E_RECORD', async () => {
    const r = await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE), { field: 'record', filename: 'r.yaml', data: Buffer.from('just: [a, list\n') }], { token: t.tokens.provider });
    expect(r.status).toBe(422);
    expect(r.json().error.code).toBe('E_RECORD');
  });

  it('a form without a package is a 400', async () => {
    const r = await upload(t.base, '/api/v1/scans', [{ field: 'other', filename: 'x', data: Buffer.from('x') }], { token: t.tokens.provider });
    expect(r.status).toBe(400);
  });
});

describe('records from the registry, and the pages with a session cookie', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a reviewer checks an upload against a record imported into the registry; a provider may not', async () => {
    const { mkdirSync, copyFileSync } = await import('node:fs');
    const { importPath } = await import('../../src/registry/import.js');
    const { openServerDb } = await import('../../src/server/db.js');
    const folder = join(t.dir, 'filings');
    mkdirSync(folder);
    copyFileSync(RECORD, join(folder, 'smartclass.provider.yaml'));
    const d = openServerDb(join(t.dir, 'eduscan.db'));
    importPath(d, folder);
    const rec = d.prepare('SELECT id FROM records').get() as { id: number } | undefined;
    d.close();
    expect(rec, 'the registry imported the record').toBeTruthy();
    const field = { field: 'registryRecord', filename: '', data: Buffer.from(String(rec!.id)) };
    // a text field: the helper sends a filename-less part, which busboy reads as a field
    const r = await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE), field], { token: t.tokens.reviewer });
    expect(r.status, r.text).toBe(201);
    const direct = (await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE), { field: 'record', filename: 'r.yaml', data: readFileSync(RECORD) }], { token: t.tokens.reviewer })).json();
    expect(r.json().result.filed).toEqual(direct.result.filed);
    expect(r.json().result.verdict).toBe(direct.result.verdict);
    const p = await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE), field], { token: t.tokens.provider });
    expect(p.status).toBe(403);
  });

  it('login sets an HttpOnly SameSite=Strict cookie; a reviewer suppresses through the page form', async () => {
    const bad = await postForm(t.base, '/login', { token: 'edu_nope' });
    expect(bad.status).toBe(401);
    const login = await postForm(t.base, '/login', { token: t.tokens.reviewer });
    expect(login.status).toBe(303);
    const setCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith('eduscan_session='))!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    const up = (await upload(t.base, '/api/v1/scans', [pkgPart(SAMPLE)], { cookie })).json();
    const rule = up.result.findings[0].rule as string;
    const page = await get(t.base, `/scans/${up.id}`, { cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="verdict"');
    expect(page.text).toContain('id="suppress"');
    const s = await postForm(t.base, `/scans/${up.id}/suppress`, { rule, reason: 'checked by hand', until: '' }, cookie);
    expect(s.status, s.text).toBe(303);
    const after = (await get(t.base, `/api/v1/scans/${up.id}`, { token: t.tokens.reviewer })).json();
    expect(after.result.findings.filter((f: { rule: string }) => f.rule === rule).every((f: { suppressed?: { reason: string } }) => f.suppressed?.reason === 'checked by hand')).toBe(true);
    const out = await postForm(t.base, '/logout', {}, cookie);
    expect(out.status).toBe(303);
    expect((await get(t.base, '/api/v1/scans', { cookie })).status).toBe(401);
  });
});

function postForm(base: string, path: string, fields: Record<string, string>, cookie?: string): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; text: string }> {
  return fetch(new URL(path, base), {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  }).then(async (r) => ({ status: r.status, headers: { 'set-cookie': r.headers.getSetCookie() }, text: await r.text() }));
}
