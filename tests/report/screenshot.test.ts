// Headless Chromium renders the HTML report offline and the verdict banner is the first thing on the page,
// in the verdict's colour. Runs where the Debian package `chromium` is installed (CI installs it).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { androidResult, iosPackageOnlyResult } from './build-result.js';
import { readPng } from './png.js';
import { hasTool } from '../helpers/tools.js';
import { chromiumPath, screenshot } from './screenshot.js';

/** The banner colours in html.ts's CSS: fail #cf222e, pass #1a7f37. */
const FAIL_RED: [number, number, number] = [0xcf, 0x22, 0x2e];
const PASS_GREEN: [number, number, number] = [0x1a, 0x7f, 0x37];
const WIDTH = 1100;

const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 6);

describe.skipIf(!chromiumPath() && !hasTool('chromium'))('HTML report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eduscan-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Rows (at x near the right edge of the banner) whose colour is `colour`, top to bottom. */
  function bannerRows(png: string, colour: [number, number, number]): number[] {
    const img = readPng(readFileSync(png));
    expect(img.width).toBe(WIDTH);
    const rows: number[] = [];
    for (let y = 0; y < img.height; y++) if (near(img.pixel(WIDTH - 80, y), colour)) rows.push(y);
    return rows;
  }

  it('draws the verdict banner at the top, red for 不通过 and green for 通过', async () => {
    const fail = join(dir, 'fail.png');
    const pass = join(dir, 'pass.png');
    screenshot(renderHtml(await androidResult(), 'zh'), fail, WIDTH, 900);
    screenshot(renderHtml(await iosPackageOnlyResult(), 'zh'), pass, WIDTH, 900);
    const red = bannerRows(fail, FAIL_RED);
    const green = bannerRows(pass, PASS_GREEN);
    // A solid band of at least 100 px starting within the first 100 px of the page.
    for (const band of [red, green]) {
      expect(band.length).toBeGreaterThan(100);
      expect(band[0]).toBeLessThan(100);
      expect(band.at(-1)! - band[0]! + 1).toBe(band.length);
    }
    expect(bannerRows(fail, PASS_GREEN)).toEqual([]);
    expect(bannerRows(pass, FAIL_RED)).toEqual([]);
  });
});
