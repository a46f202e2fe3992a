// rules/permissions.yaml against the platform's own declarations: aapt's reading of every <permission> in the
// AOSP framework manifest (API 29; tests/fixtures/rules/framework-res.permissions.txt, written by
// gen-framework-oracle.sh). Dangerous permissions must tick a box; normal ones must tick none unless a box
// names them; nothing in noCheckbox may be dangerous or signature-level.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PERMISSION_LABELS } from '../../src/check/types.js';
import { classifyPermission } from '../../src/rules/categories.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { scanPackage } from '../../src/scan.js';
import { FIXTURES } from '../helpers/corpus.js';
import { REPO } from './bases.js';

const { permissionMap: map } = loadRuleSet();

// android:protectionLevel flags (frameworks/base core/res/res/values/attrs_manifest.xml).
const PROTECTION_BASE_MASK = 0xf;
const PROTECTION_NORMAL = 0;
const PROTECTION_DANGEROUS = 1;
const PROTECTION_FLAG_APPOP = 0x40;

interface FrameworkPermission {
  name: string;
  level: number;
}

function frameworkPermissions(): FrameworkPermission[] {
  const out: FrameworkPermission[] = [];
  let cur: FrameworkPermission | undefined;
  for (const line of readFileSync(join(FIXTURES, 'rules', 'framework-res.permissions.txt'), 'utf8').split('\n')) {
    if (/^\s*E: permission /.test(line)) {
      cur = { name: '', level: 0 };
      out.push(cur);
      continue;
    }
    const name = /android:name\(0x01010003\)="([^"]+)"/.exec(line);
    if (cur && name) cur.name = name[1]!;
    const level = /android:protectionLevel\(0x01010009\)=\(type 0x11\)0x([0-9a-f]+)/.exec(line);
    if (cur && level) cur.level = parseInt(level[1]!, 16);
  }
  return out;
}

const fw = frameworkPermissions();
const named = new Set(map.categories.flatMap((c) => c.android?.permissions ?? []));

describe('permission map vs the AOSP framework manifest (aapt)', () => {
  it('reads the oracle: hundreds of permissions, some of each level', () => {
    expect(fw.length).toBeGreaterThan(400);
    expect(fw.filter((p) => (p.level & PROTECTION_BASE_MASK) === PROTECTION_DANGEROUS).length).toBeGreaterThan(20);
    expect(fw.every((p) => p.name !== '')).toBe(true);
  });

  it('names every dangerous permission under a box', () => {
    const missing = fw.filter((p) => (p.level & PROTECTION_BASE_MASK) === PROTECTION_DANGEROUS && !named.has(p.name)).map((p) => p.name);
    expect(missing).toEqual([]);
  });

  it('puts every normal permission in noCheckbox unless a box names it', () => {
    const missing = fw.filter((p) => (p.level & PROTECTION_BASE_MASK) === PROTECTION_NORMAL && !named.has(p.name) && !map.android.noCheckbox.includes(p.name)).map((p) => p.name);
    expect(missing).toEqual([]);
  });

  it('lists no dangerous, signature or appop permission in noCheckbox', () => {
    const levels = new Map(fw.map((p) => [p.name, p.level]));
    const wrong = map.android.noCheckbox.filter((n) => {
      const l = levels.get(n);
      return l !== undefined && ((l & PROTECTION_BASE_MASK) !== PROTECTION_NORMAL || (l & PROTECTION_FLAG_APPOP) !== 0);
    });
    expect(wrong).toEqual([]);
  });

  it('ticks a box (named or 其它) for every appop (special-access) permission', async () => {
    const facts = await scanPackage(join(REPO, 'samples', 'android', 'smartclass.apk'));
    for (const p of fw.filter((x) => (x.level & PROTECTION_FLAG_APPOP) !== 0)) {
      expect(['category', 'fallback-other'], p.name).toContain(classifyPermission(facts, map, p.name).kind);
    }
  });
});

describe('permission map file', () => {
  it('has all 13 boxes once, in form order, and states its reading of the two undefined boxes', () => {
    expect(map.categories.map((c) => c.label)).toEqual([...PERMISSION_LABELS]);
    for (const l of ['读取应用数据', '使用呼叫转移']) {
      const c = map.categories.find((x) => x.label === l)!;
      expect(c.interpretation?.zh).toMatch(/没有官方定义/);
      expect(c.interpretation?.en).toMatch(/No official definition/);
    }
  });

  it('maps no iOS key to a box with no iOS permission (短信, 电话, 发送彩信, 使用呼叫转移, 浏览器, 应用列表)', () => {
    for (const l of ['短信', '电话', '发送彩信', '使用呼叫转移', '获取浏览器上网记录', '读取已安装应用列表']) {
      expect(map.categories.find((c) => c.label === l)!.ios, l).toBeUndefined();
    }
  });
});
