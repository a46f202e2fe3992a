// Seeded mutation of the registry's own inputs — manifests (CSV, JSON Lines) and calendar files: whatever the
// bytes, the readers answer with entries or an EduscanError, never another exception.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALENDAR_DIR, parseCalendarText, WorkCalendar } from '../../src/calendar/calendar.js';
import { EduscanError } from '../../src/errors.js';
import { readManifest } from '../../src/registry/manifest.js';
import { rng } from '../helpers/rng.js';
import { tempDir } from './helpers.js';

const SEED = 0x5eed_6;

function mutate(text: string, next: () => number): string {
  const b = Buffer.from(text);
  const kind = Math.floor(next() * 5);
  if (kind === 0) return b.subarray(0, Math.floor(next() * b.length)).toString('latin1'); // truncation
  if (kind === 1) {
    for (let i = 0; i < 1 + next() * 8; i++) b[Math.floor(next() * b.length)] = Math.floor(next() * 256);
    return b.toString('utf8');
  }
  if (kind === 2) {
    const at = Math.floor(next() * text.length);
    return text.slice(0, at) + ['"', ',', '\n', '\r', '{', '}', '[', ':', '\u0000', '""', '\ufeff'][Math.floor(next() * 11)]! + text.slice(at);
  }
  if (kind === 3) return text.replace(/\d{4}-\d{2}-\d{2}/, ['2025-02-30', '99999-01-01', '2025-13-01', ''][Math.floor(next() * 4)]!);
  return text.repeat(1 + Math.floor(next() * 3));
}

function onlyEduscanErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof EduscanError)) throw e;
    expect(e.message).not.toContain('\n');
  }
}

describe('fuzz', () => {
  it('manifests: 1,500 mutated CSV and JSON Lines files', () => {
    const next = rng(SEED);
    const dir = tempDir('fuzz-manifest');
    const csv = 'record,package,app\r\nrec.yaml,"a, b.apk",智慧课堂\r\nrec.yaml,c.apk,\r\n';
    const jsonl = '{"record":"rec.yaml","package":"a.apk","app":"智慧课堂"}\n{"package":"b.apk"}\n';
    for (let i = 0; i < 1500; i++) {
      const isCsv = i % 2 === 0;
      const file = join(dir, isCsv ? 'm.csv' : 'm.jsonl');
      writeFileSync(file, mutate(isCsv ? csv : jsonl, next));
      onlyEduscanErrors(() => {
        for (const e of readManifest(file)) expect(typeof e.package).toBe('string');
      });
    }
  });

  it('calendar files: 2,000 mutations of the 2025 notice data', () => {
    const next = rng(SEED + 1);
    const text = readFileSync(join(CALENDAR_DIR, 'cn-2025.yaml'), 'utf8');
    for (let i = 0; i < 2000; i++) {
      onlyEduscanErrors(() => {
        const cal = new WorkCalendar([parseCalendarText('cn-2025.yaml', mutate(text, next))]);
        cal.addWorkingDays('2025-01-02', 5);
      });
    }
  });
});
