// The web page in Debian's Chromium (playwright-core, headless): log in with a token, upload the sample APK
// and its filing record through the form (XHR with progress), land on the result page with the verdict first
// and the 13 checkboxes filed vs detected, switch to English. Skipped where chromium is missing locally; CI
// (.ci/run installs chromium) fails instead. The screenshot is kept in tests/server/artifacts/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_LABELS } from '../../src/check/types.js';
import { hasTool } from '../helpers/tools.js';
import { get, startServer, type TestServer } from './helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'samples/android/smartclass.apk');
const RECORD = join(ROOT, 'samples/filing/smartclass.provider.yaml');
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!hasTool('chromium'))('web page in headless Chromium', () => {
  let t: TestServer;
  let profile: string;
  let context: import('playwright-core').BrowserContext;

  beforeAll(async () => {
    t = await startServer();
    profile = mkdtempSync(join(tmpdir(), 'eduscan-chromium-'));
    const { chromium } = await import('playwright-core');
    // A new profile directory each run (playwright passes it as --user-data-dir).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 1000 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await t?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('logs in, uploads the sample APK, shows the verdict and the checkbox comparison', async () => {
    const page = await context.newPage();
    const offsite: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(t.base)) offsite.push(r.url());
    });

    await page.goto(`${t.base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    // a wrong token stays on the login page with an error
    await page.fill('#token', 'edu_wrong');
    await Promise.all([page.waitForLoadState(), page.click('#login-submit')]);
    expect(await page.textContent('#login-error')).toContain('令牌无效');

    await page.fill('#token', t.tokens.provider);
    await Promise.all([page.waitForURL(/\/scans$/), page.click('#login-submit')]);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'eduscan_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');

    await page.setInputFiles('#package', SAMPLE);
    await page.setInputFiles('#record', RECORD);
    const progress: number[] = [];
    await page.exposeFunction('recordProgress', (v: number) => progress.push(v));
    // Browser-side code as strings: the test project has no DOM types. Every change of the progress bar or the
    // status line is reported back.
    await page.evaluate(`(() => {
      const p = document.getElementById('progress');
      const report = () => window.recordProgress(p.value);
      new MutationObserver(report).observe(p, { attributes: true });
      new MutationObserver(report).observe(document.getElementById('msg'), { childList: true, characterData: true, subtree: true });
    })()`);
    await Promise.all([page.waitForURL(/\/scans\/\d+$/, { timeout: 30_000 }), page.click('#upload-submit')]);
    expect(progress.length, 'the progress bar moved').toBeGreaterThan(0);
    const id = Number(/\/scans\/(\d+)$/.exec(page.url())![1]);

    // the stored result, through the API, is what the page must show
    const api = (await get(t.base, `/api/v1/scans/${id}`, { token: t.tokens.provider })).json();
    const verdictZh = { pass: '通过', explain: '需说明', fail: '不通过', unassessable: '不可评估' }[api.result.verdict as 'pass'];
    const h1 = await page.textContent('#verdict h1');
    expect(h1).toContain(verdictZh);
    // verdict first: the banner is above every other section of the report
    const tops = await page.evaluate<[string, number][]>(`[...document.querySelectorAll('main section, #verdict')].map((e) => [e.id, e.getBoundingClientRect().top])`);
    expect(tops[0]![0]).toBe('verdict');
    expect(tops.every(([, top]) => top >= tops[0]![1])).toBe(true);

    const rows = await page.evaluate<string[][]>(`[...document.querySelectorAll('#checkboxes tbody tr')].map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent.trim()))`);
    expect(rows).toHaveLength(PERMISSION_LABELS.length);
    const filed = new Set<string>(api.result.filed);
    const detected = new Set<string>(api.result.detected.map((d: { label: string }) => d.label));
    PERMISSION_LABELS.forEach((label, i) => {
      const [name, f, d] = rows[i]!;
      expect(name!.startsWith(label)).toBe(true);
      expect(f).toBe(filed.has(label) ? '✓' : '—');
      expect(d).toBe(detected.has(label) ? '✓' : '—');
    });
    // the record the page sent is the one on disk
    expect(api.record).toBe('smartclass.provider.yaml');
    expect(readFileSync(RECORD, 'utf8').length).toBeGreaterThan(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'result-zh.png'), fullPage: false });

    await Promise.all([page.waitForLoadState(), page.click('#lang-switch')]);
    expect(await page.textContent('#verdict h1')).toMatch(/^Verdict/);
    await page.goto(`${t.base}/scans`);
    expect(await page.textContent('#scan-list')).toContain('smartclass.apk');
    await page.screenshot({ path: join(ARTIFACTS, 'list-en.png'), fullPage: false });
    expect(offsite, 'no request leaves the server').toEqual([]);
  }, 90_000);
});
