// A school's use filing in the registry changes how the provider's package is judged: an ad SDK in an app a
// school requires (要求使用) is high, and a rules-only re-scan picks a new use filing up without opening packages.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHashPool } from '../../src/hash/hash.js';
import { importPath } from '../../src/registry/import.js';
import { CORPUS } from '../helpers/corpus.js';
import { ROOT, openTemp, run, sampleRecord, tempDir, writeRecord } from './helpers.js';

const TODAY = '2025-03-03';

describe.skipIf(!CORPUS)('use filings in the registry (corpus package with an ad SDK)', () => {
  afterAll(async () => {
    await closeHashPool();
  });

  it('EDU-SDK-002 goes from medium to high when a school files 要求使用, on a rules-only re-scan', async () => {
    const dir = tempDir('reg-use');
    const apk = join(dir, 'blood.apk');
    copyFileSync(join(CORPUS!, 'apk', 'exoduscore__blooddonation.apk'), apk);
    const record = sampleRecord();
    const app = record.apps.find((a) => a.name === '智慧课堂')!;
    // The provider files the app for university students only: on its own, the ad rule stays medium.
    Object.assign(app, { name: 'Blood Donation', audience: ['学生-高等院校'], filingNo: '教APP备3100001号' });
    // Matched as the record's only Android app (no package id or MD5 to disagree with).
    delete app.md5;
    delete app.packageId;
    record.apps = [app];
    writeRecord(join(dir, 'blood.provider.yaml'), record);
    const { db } = openTemp(dir);
    importPath(db, dir);
    const sev = (): string | undefined => {
      const row = db.prepare('SELECT findings_json FROM scans WHERE findings_json IS NOT NULL ORDER BY id DESC LIMIT 1').get() as { findings_json: string };
      return (JSON.parse(row.findings_json) as { rule: string; severity: string }[]).find((f) => f.rule === 'EDU-SDK-002')?.severity;
    };
    await run(db, { today: TODAY });
    expect((db.prepare('SELECT app_id FROM packages').get() as { app_id: number | null }).app_id).not.toBeNull();
    expect(sev()).toBe('medium');

    // A university's use filing of the same app (by 教APP备 number), 要求使用.
    const use = readFileSync(join(ROOT, 'samples/filing/use-filing.yaml'), 'utf8')
      .replace('name: 智慧课堂\n', 'name: Blood Donation\n').replace('教APP备3100000号', '教APP备3100001号').replace('users: [学生-中小学, 教师]', 'users: [学生-高等院校]');
    writeFileSync(join(dir, 'school.use.yaml'), use);
    importPath(db, dir);
    await run(db, { today: TODAY, mode: 'rules-only' });
    expect(sev()).toBe('high');
    db.close();
  });
});
