// The sample record describes the sample package: id, version and MD5 as the oracles read them, and every box a
// reviewer would tick except 短信 (the package asks for READ_SMS; the sample shows an undeclared category).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFilingFile } from '../../src/filing/load.js';
import { selectApp } from '../../src/filing/match.js';
import { hasTool } from '../helpers/tools.js';
import { ROOT, SAMPLE_APK, smartclassFacts } from './helpers.js';

const record = readFilingFile(join(ROOT, 'samples', 'filing', 'smartclass.provider.yaml'));
const app = record.kind === 'provider' ? record.data?.apps[0] : undefined;

describe('samples/filing/smartclass.provider.yaml', () => {
  it('is valid and matches the sample package by package id', () => {
    expect(record.problems).toEqual([]);
    expect(selectApp(record, smartclassFacts())).toMatchObject({ index: 0, by: 'packageId' });
  });

  it('carries the package MD5 (md5sum when present, else node:crypto)', () => {
    const md5 = hasTool('md5sum')
      ? execFileSync('md5sum', [SAMPLE_APK], { encoding: 'utf8' }).split(' ')[0]
      : createHash('md5').update(readFileSync(SAMPLE_APK)).digest('hex');
    expect(app?.md5).toBe(md5);
  });

  it.skipIf(!hasTool('aapt'))('carries the package id and versionName as aapt reads them, and leaves only 短信 out', () => {
    const badging = execFileSync('aapt', ['dump', 'badging', SAMPLE_APK], { encoding: 'utf8' });
    expect(badging).toContain(`package: name='${app?.packageId}' `);
    expect(badging).toContain(` versionName='${app?.version}'`);
    const perms = [...badging.matchAll(/^uses-permission(?:-sdk-23)?: name='([^']+)'/gm)].map((m) => m[1]);
    expect(perms).toContain('android.permission.READ_SMS');
    expect(app?.permissions).not.toContain('短信');
    // The other dangerous permissions aapt lists each have their box ticked.
    const boxes: Record<string, string> = {
      'android.permission.CAMERA': '调用摄像头', 'android.permission.RECORD_AUDIO': '启用录音', 'android.permission.ACCESS_FINE_LOCATION': '读取位置信息',
      'android.permission.READ_CONTACTS': '通讯录', 'android.permission.READ_EXTERNAL_STORAGE': '读取应用数据',
    };
    for (const p of perms) if (p && boxes[p]) expect(app?.permissions, p).toContain(boxes[p]);
  });

  it('the use-filing sample is valid too', () => {
    expect(readFilingFile(join(ROOT, 'samples', 'filing', 'use-filing.yaml')).problems).toEqual([]);
  });
});
