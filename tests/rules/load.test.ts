// Loading rules/: the real directory loads; a copy with one defect is refused with E_CONFIG
// "<file>:<line>:<col> <path>: <problem>", the position being where the defect was written.
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EduscanError } from '../../src/errors.js';
import { loadRuleSet, RULES_DIR, validateRuleDir } from '../../src/rules/load.js';
import { REPO } from './bases.js';

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A copy of rules/ with `file` edited; returns the dir and the 1-based line/col where `marker` now sits. */
function withEdit(file: string, edit: (text: string) => string, marker?: string): { dir: string; line: number; col: number } {
  const dir = mkdtempSync(join(tmpdir(), 'eduscan-rules-'));
  temps.push(dir);
  cpSync(RULES_DIR, dir, { recursive: true });
  const path = join(dir, file);
  const text = edit(readFileSync(path, 'utf8'));
  writeFileSync(path, text);
  if (!marker) return { dir, line: 0, col: 0 };
  const at = text.indexOf(marker);
  expect(at, `marker ${marker}`).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, at).split('\n');
  return { dir, line: before.length, col: before.at(-1)!.length + 1 };
}

function loadError(dir: string): EduscanError {
  try {
    loadRuleSet(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(EduscanError);
    return e as EduscanError;
  }
  throw new Error('expected loadRuleSet to throw');
}

describe('RULES_DIR and the real rules', () => {
  it('is the repository rules/ folder', () => {
    expect(RULES_DIR).toBe(join(REPO, 'rules'));
  });

  it('loads with version and the sha256 of every data file (name NUL content NUL, sorted by name)', () => {
    const set = loadRuleSet();
    expect(set.version).toMatch(/^\d+\.\d+\.\d+$/);
    const h = createHash('sha256');
    for (const f of readdirSync(RULES_DIR).filter((n) => n.endsWith('.yaml')).sort()) h.update(`${f}\0${readFileSync(join(RULES_DIR, f), 'utf8')}\0`);
    expect(set.digest).toBe(h.digest('hex'));
    expect(validateRuleDir().problems).toEqual([]);
  });

  it('changes the digest when any data file changes', () => {
    const { dir } = withEdit('bundle.yaml', (t) => `${t}# a comment\n`);
    expect(loadRuleSet(dir).digest).not.toBe(loadRuleSet().digest);
  });
});

describe('a defective rules directory is refused with the defect\'s position', () => {
  const cases: { what: string; file: string; from: string; to: string; marker: string; message: RegExp }[] = [
    {
      what: 'misspelt fact path',
      file: 'android-manifest.yaml',
      from: 'when: {path: facts.manifest.application.debuggable, eq: true}',
      to: 'when: {path: facts.manifest.application.debugable, eq: true}',
      marker: 'path: facts.manifest.application.debugable',
      message: /rules\[0\]\.when\.path: path "facts\.manifest\.application\.debugable": no field "debugable"/,
    },
    {
      what: 'unknown key in a rule',
      file: 'android-manifest.yaml',
      from: '    category: manifest\n    title: {zh: 应用可调试',
      to: '    category: manifest\n    severty: high\n    title: {zh: 应用可调试',
      marker: 'severty',
      message: /rules\[0\]\.severty: unknown key severty/,
    },
    {
      what: 'unknown comparator',
      file: 'android-manifest.yaml',
      from: 'when: {path: facts.manifest.application.debuggable, eq: true}',
      to: 'when: {path: facts.manifest.application.debuggable, equals: true}',
      marker: 'equals',
      message: /rules\[0\]\.when\.equals: unknown key equals/,
    },
    {
      what: 'placeholder naming nothing',
      file: 'android-manifest.yaml',
      from: 'zh: minSdk 为 {{derived.minSdk}}',
      to: 'zh: minSdk 为 {{derived.minSDK}}',
      marker: 'zh: minSdk 为 {{derived.minSDK}}',
      message: /message\.zh: placeholder \{\{derived\.minSDK\}\}: path "derived\.minSDK": no field "minSDK"/,
    },
    {
      what: 'evidence from an unbound name',
      file: 'android-privacy.yaml',
      from: "      - {for: p, kind: permission, value: '{{p.name}}', location: 'AndroidManifest.xml <uses-permission>'}\n    tests:\n      trigger:\n        - {base: 'sample:android/smartclass.apk', evidence: [android.permission.READ_SMS]}",
      to: "      - {for: q, kind: permission, value: '{{q.name}}', location: 'AndroidManifest.xml <uses-permission>'}\n    tests:\n      trigger:\n        - {base: 'sample:android/smartclass.apk', evidence: [android.permission.READ_SMS]}",
      marker: 'for: q',
      message: /rules\[0\]\.evidence\[0\]\.for: "q" is not bound by a some\/count in when \(bound: p\)/,
    },
    {
      what: 'bad regular expression',
      file: 'android-signing.yaml',
      from: "matches: 'SHA-?(256|384|512)'",
      to: "matches: 'SHA-?(256|384|512'",
      marker: "matches: 'SHA-?(256|384|512'",
      message: /when\.all\[1\]\.not\.matches: bad regular expression/,
    },
    {
      what: 'duplicate rule id',
      file: 'android-manifest.yaml',
      from: '  - id: EDU-AND-MAN-002',
      to: '  - id: EDU-AND-MAN-001',
      marker: '  - id: EDU-AND-MAN-001\n    platform: android\n    severity: high\n    category: manifest\n    title: {zh: 测试包',
      message: /rules\[1\]\.id: EDU-AND-MAN-001 is already used in android-manifest\.yaml/,
    },
    {
      what: 'YAML syntax error',
      file: 'ios.yaml',
      from: 'rules:\n  - id: EDU-IOS-PKG-001',
      to: 'rules:\n  - id: [EDU-IOS-PKG-001',
      marker: '',
      message: /^ios\.yaml:\d+:\d+ /,
    },
    {
      what: 'a condition with two kinds',
      file: 'android-manifest.yaml',
      from: 'when: {path: facts.manifest.application.testOnly, eq: true}',
      to: 'when: {path: facts.manifest.application.testOnly, eq: true, not: {path: facts.id, eq: x}}',
      marker: 'when: {path: facts.manifest.application.testOnly',
      message: /rules\[1\]\.when: a condition has exactly one of not, path/,
    },
    {
      what: 'zh and en with different placeholders',
      file: 'android-manifest.yaml',
      from: 'en: targetSdk is {{derived.targetSdk}} (below 23)',
      to: 'en: targetSdk is {{derived.minSdk}} (below 23)',
      marker: '',
      message: /rules\[2\]\.message: zh and en use different placeholders/,
    },
    {
      what: 'a permission both under a box and in noCheckbox',
      file: 'permissions.yaml',
      from: '    - android.permission.INTERNET\n',
      to: '    - android.permission.INTERNET\n    - android.permission.CAMERA\n',
      marker: '    - android.permission.CAMERA\n    - android.permission.ACCESS_NETWORK_STATE',
      message: /android\.noCheckbox\[\d+\]: android\.permission\.CAMERA is both under a box and in noCheckbox/,
    },
    {
      what: 'a box label that is not on the form',
      file: 'permissions.yaml',
      from: '  - label: 日历\n',
      to: '  - label: 日程\n',
      marker: '  - label: 日程',
      message: /categories\[3\]\.label: /,
    },
  ];

  for (const c of cases) {
    it(c.what, () => {
      const { dir, line, col } = withEdit(c.file, (t) => {
        expect(t, c.what).toContain(c.from);
        return t.replace(c.from, c.to);
      }, c.marker || undefined);
      const e = loadError(dir);
      expect(e.code).toBe('E_CONFIG');
      expect(e.message).toMatch(c.message);
      expect(e.message.startsWith(`${c.file}:`)).toBe(true);
      expect(e.message).not.toContain('\n');
      if (c.marker) {
        const [, l, k] = /^[^:]+:(\d+):(\d+) /.exec(e.message)!;
        // The position is the marker's line; the column falls inside the marker.
        expect(Number(l)).toBe(line);
        expect(Number(k)).toBeGreaterThanOrEqual(col);
        expect(Number(k)).toBeLessThanOrEqual(col + c.marker.split('\n')[0]!.length);
      }
    });
  }

  it('reports every problem of a directory, not only the first', () => {
    const { dir } = withEdit('android-manifest.yaml', (t) =>
      t.replace('facts.manifest.application.debuggable, eq: true}', 'facts.manifest.application.debugable, eq: true}').replace('{path: facts.manifest.application.testOnly, eq: true}', '{path: facts.manifest.application.testOnIy, eq: true}'),
    );
    const { problems, set } = validateRuleDir(dir);
    expect(set).toBeUndefined();
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/debugable/), expect.stringMatching(/testOnIy/)]);
    expect(loadError(dir).message).toMatch(/\(and 1 more problem: eduscan rules validate\)$/);
  });

  it('refuses a retired id and a directory without bundle.yaml', () => {
    const retired = withEdit('bundle.yaml', (t) => t.replace('retired: []', 'retired: [EDU-AND-MAN-009]'));
    expect(loadError(retired.dir).message).toMatch(/^android-manifest\.yaml:1:1 EDU-AND-MAN-009: the id was retired/);
    const noBundle = withEdit('bundle.yaml', (t) => t);
    rmSync(join(noBundle.dir, 'bundle.yaml'));
    expect(loadError(noBundle.dir).message).toMatch(/needs bundle\.yaml and permissions\.yaml/);
  });

  it('skips the data files bundle.yaml lists (other loaders\' files) but counts them in the digest; refuses other non-rule files', () => {
    const listed = withEdit('bundle.yaml', (t) => t);
    writeFileSync(join(listed.dir, 'sdks.yaml'), 'sdks:\n  - id: example\n');
    const before = loadRuleSet(listed.dir).digest;
    writeFileSync(join(listed.dir, 'sdks.yaml'), 'sdks:\n  - id: example2\n');
    expect(loadRuleSet(listed.dir).digest).not.toBe(before);
    const unlisted = withEdit('bundle.yaml', (t) => t);
    writeFileSync(join(unlisted.dir, 'calendar.yaml'), 'days: []\n');
    expect(loadError(unlisted.dir).message).toMatch(/^calendar\.yaml:1:1 \(top\): not a rules file: expected a top-level "rules:" list/);
  });

  it('adds a rule of an existing kind with no code change', () => {
    const { dir } = withEdit('android-privacy.yaml', (t) =>
      `${t}
  - id: EDU-AND-PRV-900
    platform: android
    severity: low
    category: privacy
    title: {zh: 申请 NFC, en: Requests NFC}
    message: {zh: '应用申请了 {{values}}。', en: 'The app requests {{values}}.'}
    rationale: {zh: 测试用规则。, en: A rule added by a test.}
    basis: test
    when: {some: {path: facts.permissions, as: p, where: {path: p.name, eq: android.permission.NFC}}}
    evidence:
      - {for: p, kind: permission, value: '{{p.name}}'}
`,
    );
    const set = loadRuleSet(dir);
    expect(set.rules.map((r) => r.id)).toContain('EDU-AND-PRV-900');
    expect(readFileSync(join(REPO, 'rules', 'android-privacy.yaml'), 'utf8')).not.toContain('EDU-AND-PRV-900');
  });
});
