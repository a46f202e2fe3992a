// Matching a package to its app in a record: package id, else the only app of its platform, else --app NAME;
// ambiguity and absence are typed errors that list the record's apps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isEduscanError, type EduscanError } from '../../src/errors.js';
import { parseFilingText, type FilingDocument } from '../../src/filing/load.js';
import { findApp, selectApp } from '../../src/filing/match.js';
import { ROOT, smartclassFacts } from './helpers.js';

const sampleRaw = parseFilingText(readFileSync(join(ROOT, 'samples', 'filing', 'smartclass.provider.yaml'), 'utf8'), { format: 'yaml' }).raw;
const baseApp = (sampleRaw.apps as Record<string, unknown>[])[0] as Record<string, unknown>;
const facts = smartclassFacts(); // cn.example.smartclass, android

function record(apps: Record<string, unknown>[]): FilingDocument {
  return parseFilingText(stringify({ ...sampleRaw, apps }), { format: 'yaml', file: 'r.yaml' });
}
function app(over: Record<string, unknown>): Record<string, unknown> {
  const a = { ...baseApp, ...over };
  for (const [k, v] of Object.entries(a)) if (v === undefined) delete a[k];
  return a;
}
function err(f: () => unknown): EduscanError {
  try {
    f();
  } catch (e) {
    if (isEduscanError(e)) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('selectApp', () => {
  it('by package id, among apps of both platforms', () => {
    const doc = record([app({ name: 'iOS 版', platform: 'ios', packageId: 'cn.example.smartclass.ios' }), app({})]);
    const m = selectApp(doc, facts);
    expect(m).toMatchObject({ index: 1, by: 'packageId' });
    expect(m.app.packageId).toBe('cn.example.smartclass');
  });

  it('one id filed for both platforms: the platform decides', () => {
    const doc = record([app({ platform: 'ios', name: '智慧课堂 iOS' }), app({})]);
    expect(selectApp(doc, facts)).toMatchObject({ index: 1, by: 'packageId' });
  });

  it('by platform when exactly one app has it, even with another (or no) package id', () => {
    expect(selectApp(record([app({ platform: 'ios', packageId: 'cn.x.ios', name: 'i' }), app({ packageId: undefined })]), facts)).toMatchObject({ index: 1, by: 'platform' });
    // A different id on the only Android app still matches: the checker reports the id mismatch.
    expect(findApp(record([app({ packageId: 'cn.other.app' })]), facts)).toMatchObject({ index: 0, by: 'platform' });
  });

  it('--app NAME picks the app by 应用名称, and a missing name is E_NO_APP', () => {
    const doc = record([app({ name: '学生版', packageId: undefined }), app({ name: '教师版', packageId: undefined })]);
    expect(selectApp(doc, facts, { app: '教师版' })).toMatchObject({ index: 1, by: 'name' });
    const e = err(() => selectApp(doc, facts, { app: '家长版' }));
    expect(e.code).toBe('E_NO_APP');
    expect(e.message).toContain('apps[0] 学生版 (android, no packageId); apps[1] 教师版 (android, no packageId)');
  });

  it('two apps of the platform and no id match: E_APP_AMBIGUOUS listing them', () => {
    const doc = record([app({ name: '学生版', packageId: undefined }), app({ name: '教师版', packageId: 'cn.example.teacher' })]);
    const e = err(() => selectApp(doc, facts));
    expect(e.code).toBe('E_APP_AMBIGUOUS');
    expect(e.message).toMatch(/^2 android apps and none with package id cn\.example\.smartclass: the record has apps\[0\] 学生版 .*apps\[1\] 教师版 \(android, cn\.example\.teacher\); pass --app NAME$/);
    expect(e.file).toBe('r.yaml');
  });

  it('two apps with the same id and platform are ambiguous too', () => {
    const doc = record([app({ name: 'a' }), app({ name: 'b' })]);
    expect(err(() => selectApp(doc, facts)).code).toBe('E_APP_AMBIGUOUS');
  });

  it('no app of the platform: E_NO_APP', () => {
    const e = err(() => selectApp(record([app({ platform: 'ios', packageId: 'cn.x' })]), facts));
    expect(e.code).toBe('E_NO_APP');
    expect(e.message).toBe('no app matches cn.example.smartclass (android): the record has apps[0] 智慧课堂 (ios, cn.x); pass --app NAME');
  });

  it('a use filing has apps only when self-developed', () => {
    const use = parseFilingText(readFileSync(join(ROOT, 'samples', 'filing', 'use-filing.yaml'), 'utf8'), { format: 'yaml' });
    const e = err(() => findApp(use, facts));
    expect(e.code).toBe('E_NO_APP');
    expect(e.message).toContain('providerFiling.apps');
    const self = parseFilingText(stringify({ ...use.raw, selfDeveloped: true, providerFiling: { provider: sampleRaw.provider, apps: sampleRaw.apps } }), { format: 'yaml' });
    expect(selectApp(self, facts)).toMatchObject({ index: 0, by: 'packageId' });
  });

  it('findApp works on an invalid entry; selectApp refuses it, naming the problem', () => {
    const doc = record([app({ md5: 'not-an-md5' })]);
    expect(findApp(doc, facts)).toMatchObject({ index: 0 });
    const e = err(() => selectApp(doc, facts));
    expect(e.code).toBe('E_RECORD');
    expect(e.message).toBe('apps[0] is not a valid app entry: apps[0].md5: package MD5: expected 32 hex digits, found "not-an-md5"');
  });

  it('lists at most 10 apps in a message', () => {
    const many = Array.from({ length: 14 }, (_, i) => app({ name: `App ${i}`, platform: 'ios', packageId: `cn.x.a${i}` }));
    expect(err(() => selectApp(record(many), facts)).message).toContain(', and 4 more; pass --app NAME');
  });
});
