// Renders report HTML to PNG with headless Chromium (Debian package `chromium`), for the screenshot test
// and for people: `npx tsx tests/report/screenshot.ts OUTDIR` writes the sample reports as .html and .png.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export function chromiumPath(): string | undefined {
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  return undefined;
}

/** Writes `html` next to `png` and screenshots it; no network: every host resolves to nothing. */
export function screenshot(html: string, png: string, width = 1100, height = 1400): void {
  const chromium = chromiumPath();
  if (!chromium) throw new Error('chromium is not installed (apt-get install chromium)');
  const page = png.replace(/\.png$/, '.html');
  writeFileSync(page, html);
  const res = spawnSync(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run',
    '--host-resolver-rules=MAP * ~NOTFOUND', `--window-size=${width},${height}`, `--screenshot=${png}`,
    pathToFileURL(page).href,
  ], { timeout: 90_000, encoding: 'utf8' });
  if (!existsSync(png)) throw new Error(`chromium wrote no screenshot (status ${res.status}): ${res.stderr.slice(-500)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = resolve(process.argv[2] ?? 'report-screenshots');
  mkdirSync(out, { recursive: true });
  const { renderHtml } = await import('../../src/report/html.js');
  const { androidResult, hostileResult, iosPackageOnlyResult } = await import('./build-result.js');
  const pages = { 'android-zh': [await androidResult(), 'zh'], 'android-en': [await androidResult(), 'en'], hostile: [await hostileResult(), 'zh'], 'ios-zh': [await iosPackageOnlyResult(), 'zh'] } as const;
  for (const [name, [r, lang]] of Object.entries(pages)) {
    screenshot(renderHtml(r, lang), join(out, `${name}.png`), 1100, 3200);
    console.log(join(out, `${name}.png`));
  }
}
