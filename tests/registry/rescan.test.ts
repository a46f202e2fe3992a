// Re-scans of a registry built from the committed sample: digests against md5sum/sha256sum, the facts cache,
// rules-only evaluation without the package files, parse failures, rule changes, the remediation clock across
// the 2026 Spring Festival, suppressions, version history and the diff against the previous scan.
// Deadlines expected below are counted by hand from the State Council notices (rules/calendar/), day by day.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCalendar } from '../../src/calendar/calendar.js';
import { closeHashPool } from '../../src/hash/hash.js';
import type { Db } from '../../src/registry/db.js';
import { importPath } from '../../src/registry/import.js';
import { blacklistCandidates, findEntry, listIssues, showEntry } from '../../src/registry/queries.js';
import { RULES_DIR, loadRuleSet } from '../../src/rules/load.js';
import { PARSER_VERSION } from '../../src/scan.js';
import { SAMPLE_APK, changedRulesDir, openTemp, run, sampleFolder, sampleRecord, tempDir, writeRecord } from './helpers.js';

afterAll(() => closeHashPool());
const calendar = loadCalendar();
const tool = (cmd: string, file: string) => execFileSync(cmd, [file]).toString().split(' ')[0];

/** The sample with `extra` bytes in front: a different file (new SHA-256) that Android-side tools still read. */
function prepended(src: string, dst: string, extra: string): void {
  writeFileSync(dst, Buffer.concat([Buffer.from(extra), readFileSync(src)]));
}

function openIssues(db: Db, today: string) {
  return listIssues(db, { today, calendar });
}

describe('full rescan of the sample', () => {
  it('stores the digests md5sum and sha256sum give, the facts once, and a scan with the verdict', async () => {
    const { dir, apk } = sampleFolder();
    const { db } = openTemp(dir);
    importPath(db, dir);
    const r = await run(db, { today: '2025-09-26' });
    expect(r.status).toEqual({ ok: 1, error: 0, unchanged: 0, 'no-facts': 0 });
    expect(r.parsed).toBe(1);
    expect(r.verdicts.fail).toBe(1); // the sample record leaves 短信 unticked (samples/filing/README.md)
    const p = db.prepare('SELECT md5, sha256, size FROM packages').get() as { md5: string; sha256: string; size: number };
    expect(p.md5).toBe(tool('md5sum', apk));
    expect(p.sha256).toBe(tool('sha256sum', apk));
    expect(p.size).toBe(statSync(apk).size);
    expect(db.prepare('SELECT sha256, parser_version FROM facts').all()).toEqual([{ sha256: p.sha256, parser_version: PARSER_VERSION }]);
    expect(r.diff.newFailures).toBe(1);
    expect(r.diff.newFailureList).toEqual([{ package: apk, from: null, to: 'fail' }]);
  });

  it('an unchanged file (size + mtime + sha256 known) is not even read again; a touched one is hashed but not parsed; new bytes are parsed', async () => {
    const { dir, apk } = sampleFolder();
    // Whole seconds, so that setting the time back below restores it exactly.
    utimesSync(apk, 1_700_000_000, 1_700_000_000);
    const { db } = openTemp(dir);
    importPath(db, dir);
    await run(db, { today: '2025-09-26' });
    const sha = tool('sha256sum', apk);

    // Same size and mtime but other bytes: eduscan trusts size + mtime (as make and rsync do), so the stored
    // SHA-256 stays — which shows the file was not read.
    const st = statSync(apk);
    const bytes = readFileSync(apk);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(apk, bytes);
    utimesSync(apk, 1_700_000_000, 1_700_000_000);
    expect(statSync(apk).mtimeMs).toBe(st.mtimeMs);
    const second = await run(db, { today: '2025-09-26' });
    expect(second).toMatchObject({ parsed: 0, fromCache: 1 });
    expect((db.prepare('SELECT sha256 FROM packages').get() as { sha256: string }).sha256).toBe(sha);

    // Restore the bytes with a new mtime: hashed again, found in the facts cache, not parsed.
    writeFileSync(apk, readFileSync(SAMPLE_APK));
    const third = await run(db, { today: '2025-09-26' });
    expect(third).toMatchObject({ parsed: 0, fromCache: 1 });

    prepended(SAMPLE_APK, apk, 'new version bytes');
    const fourth = await run(db, { today: '2025-09-26' });
    expect(fourth).toMatchObject({ parsed: 1, fromCache: 0 });
    expect((db.prepare('SELECT sha256 FROM packages').get() as { sha256: string }).sha256).toBe(tool('sha256sum', apk));
    expect(db.prepare('SELECT COUNT(*) AS n FROM facts').get()).toEqual({ n: 2 });
  });

  it('--rules-only evaluates stored facts without the package files; a package never scanned is "no-facts"', async () => {
    const { dir, apk } = sampleFolder();
    const { db } = openTemp(dir);
    importPath(db, dir);
    const full = await run(db, { today: '2025-09-26' });
    rmSync(apk);
    const rules = await run(db, { today: '2025-09-26', mode: 'rules-only' });
    expect(rules.status).toEqual({ ok: 1, error: 0, unchanged: 0, 'no-facts': 0 });
    expect(rules.verdicts).toEqual(full.verdicts);
    expect(rules).toMatchObject({ parsed: 0, fromCache: 1, bytesParsed: 0 });
    expect(rules.diff).toMatchObject({ newIssues: 0, resolvedIssues: 0, stillOpen: full.diff.newIssues });
    // Same findings as the last scan: not stored twice; the row points at the scan holding them (whose digest
    // sha256sum agrees with).
    const scans = db.prepare('SELECT id, findings_json, findings_digest, findings_from FROM scans ORDER BY id').all() as { id: number; findings_json: string | null; findings_digest: string; findings_from: number | null }[];
    expect(scans[1]).toMatchObject({ findings_json: null, findings_from: scans[0]!.id, findings_digest: scans[0]!.findings_digest });
    const stored = join(dir, 'findings.json');
    writeFileSync(stored, scans[0]!.findings_json!);
    expect(scans[0]!.findings_digest).toBe(tool('sha256sum', stored));
    // A full rescan now reports the missing file as an error of that package, and the issues stay as they were.
    const gone = await run(db, { today: '2025-09-26' });
    expect(gone.errors).toEqual([{ package: apk, code: 'E_IO', message: expect.stringContaining('ENOENT') }]);
    expect(gone.diff.resolvedIssues).toBe(0);

    const other = tempDir('nofacts');
    cpSync(SAMPLE_APK, join(other, 'x.apk'));
    const { db: db2 } = openTemp(other);
    importPath(db2, other);
    expect((await run(db2, { today: '2025-09-26', mode: 'rules-only' })).status['no-facts']).toBe(1);
  });

  it('a package that cannot be parsed is recorded with its error code, the run goes on, and the failure is cached by content', async () => {
    const { dir } = sampleFolder();
    writeFileSync(join(dir, 'broken.apk'), 'PK\u0003\u0004 this is not really a zip archive');
    const { db } = openTemp(dir);
    importPath(db, dir);
    const r = await run(db, { today: '2025-09-26' });
    expect(r.status).toMatchObject({ ok: 1, error: 1 });
    expect(r.errors).toEqual([{ package: join(dir, 'broken.apk'), code: 'E_NOT_ZIP', message: expect.any(String) }]);
    expect(db.prepare('SELECT error_code FROM facts WHERE facts_json IS NULL').all()).toEqual([{ error_code: 'E_NOT_ZIP' }]);
    utimesSync(join(dir, 'broken.apk'), new Date(), new Date(Date.now() + 5000));
    const again = await run(db, { today: '2025-09-26' });
    expect(again).toMatchObject({ parsed: 0, fromCache: 2 });
    expect(again.errors.map((e) => e.code)).toEqual(['E_NOT_ZIP']);
  });

  it('worker threads give the same results as parsing in-process', async () => {
    const { dir, apk } = sampleFolder();
    prepended(SAMPLE_APK, join(dir, 'smartclass-2.apk'), 'x');
    writeFileSync(join(dir, 'broken.apk'), 'not a zip');
    const a = openTemp(dir);
    importPath(a.db, dir);
    const inProcess = await run(a.db, { today: '2025-09-26' });
    const other = tempDir('workers');
    cpSync(dir, other, { recursive: true, filter: (s) => !s.endsWith('.db') && !s.includes('.db-') });
    const b = openTemp(other);
    importPath(b.db, other);
    const threaded = await run(b.db, { today: '2025-09-26', concurrency: 2 }, b.path);
    expect(threaded.status).toEqual(inProcess.status);
    expect(threaded.verdicts).toEqual(inProcess.verdicts);
    expect(threaded.diff.newIssues).toBe(inProcess.diff.newIssues);
    const shas = (db: Db) => db.prepare('SELECT sha256 FROM packages ORDER BY sha256').all();
    expect(shas(b.db)).toEqual(shas(a.db));
    void apk;
  });
});

describe('rules change, then a rules-only rescan', () => {
  it('a rule that no longer fires resolves its issue; a rule raised to high starts a 15-working-day clock', async () => {
    const { dir } = sampleFolder();
    const { db } = openTemp(dir);
    importPath(db, dir);
    const first = await run(db, { today: '2026-02-13' });
    const before = openIssues(db, '2026-02-13');
    const man001 = before.find((i) => i.rule === 'EDU-AND-MAN-001')!;
    const cmp002 = before.find((i) => i.rule === 'EDU-AND-CMP-002')!;
    expect(man001).toMatchObject({ severity: 'high', deadline: '2026-03-12' });
    expect(cmp002).toMatchObject({ severity: 'medium', deadline: null });

    const rules = changedRulesDir();
    const ruleSet = loadRuleSet(rules);
    expect(ruleSet.digest).not.toBe(first.run.rulesDigest);

    const r = await run(db, { today: '2026-02-20', mode: 'rules-only', ruleSet });
    expect(r.run.rulesDigest).toBe(ruleSet.digest);
    expect(r).toMatchObject({ parsed: 0, fromCache: 1 });
    expect(r.diff.resolvedIssues).toBe(1);
    const after = listIssues(db, { today: '2026-02-20', calendar, states: ['open', 'due-soon', 'overdue', 'suppressed', 'resolved'] });
    expect(after.find((i) => i.rule === 'EDU-AND-MAN-001')).toMatchObject({ state: 'resolved', resolvedAt: '2026-02-20' });
    // 2/20 is inside the 2/15–2/23 holiday: 2/24..2/27 = 1..4, Saturday 2/28 (make-up) = 5, 3/2..3/6 = 6..10,
    // 3/9..3/13 = 11..15.
    expect(after.find((i) => i.rule === 'EDU-AND-CMP-002')).toMatchObject({ severity: 'high', deadline: '2026-03-13', firstSeen: '2026-02-13' });
    // Unchanged issues keep the deadline they got on 2/13.
    expect(after.find((i) => i.rule === 'EDU-AND-NET-001')).toMatchObject({ deadline: '2026-03-12', state: 'open' });
  });
});

describe('remediation clock', () => {
  it('15 working days across the 2026 Spring Festival; due soon, overdue and a blacklist candidate on the right days', async () => {
    const { dir } = sampleFolder();
    const { db } = openTemp(dir);
    importPath(db, dir);
    await run(db, { today: '2026-02-13' });
    const highs = openIssues(db, '2026-02-13').filter((i) => i.severity === 'high');
    expect(highs.length).toBeGreaterThan(0);
    // Friday 2/13: Saturday 2/14 (make-up) = 1, 2/15–2/23 holiday, 2/24..2/27 = 2..5, Saturday 2/28 (make-up) = 6,
    // 3/2..3/6 = 7..11, 3/9..3/12 = 12..15.
    for (const i of highs) expect(i.deadline).toBe('2026-03-12');
    for (const i of openIssues(db, '2026-02-13').filter((x) => x.severity !== 'high')) expect(i.deadline).toBeNull();

    expect(new Set(openIssues(db, '2026-03-06').filter((i) => i.severity === 'high').map((i) => i.state))).toEqual(new Set(['open']));
    const soon = openIssues(db, '2026-03-09').filter((i) => i.severity === 'high');
    expect(soon.every((i) => i.state === 'due-soon' && i.workingDaysLeft === 3)).toBe(true);
    expect(openIssues(db, '2026-03-12').filter((i) => i.severity === 'high').every((i) => i.state === 'due-soon' && i.workingDaysLeft === 0)).toBe(true);
    const late = openIssues(db, '2026-03-13').filter((i) => i.state === 'overdue');
    expect(late).toHaveLength(highs.length);
    const provider = (sampleRecord().provider as { name: string }).name;
    expect(blacklistCandidates(db, '2026-03-13')).toEqual([expect.objectContaining({ unit: provider, overdueIssues: highs.length, packages: 1, oldestDeadline: '2026-03-12' })]);
    expect(blacklistCandidates(db, '2026-03-12')).toEqual([]);

    // The run on the day after the deadline reports them as overdue.
    const r = await run(db, { today: '2026-03-13', mode: 'rules-only' });
    expect(r.diff.overdue).toBe(highs.length);
    expect(r.diff.stillOpen).toBe(openIssues(db, '2026-03-13').length);
  });

  it('a suppression in the record stops the clock for that rule; an expired one restarts it', async () => {
    const { dir, record } = sampleFolder();
    const rec = sampleRecord();
    rec.suppress = [{ rule: 'EDU-AND-MAN-001', reason: '调试版本仅用于内部测试', by: '审核员 王五', until: '2026-03-31' }];
    writeRecord(record, rec);
    const { db } = openTemp(dir);
    importPath(db, dir);
    await run(db, { today: '2026-02-13' });
    const s = openIssues(db, '2026-03-20').find((i) => i.rule === 'EDU-AND-MAN-001')!;
    expect(s).toMatchObject({ state: 'suppressed', deadline: null, suppressed: { reason: '调试版本仅用于内部测试', by: '审核员 王五', until: '2026-03-31' } });
    expect(blacklistCandidates(db, '2026-03-20')[0]!.overdueIssues).toBe(openIssues(db, '2026-02-13').filter((i) => i.severity === 'high' && i.state !== 'suppressed').length);
    await run(db, { today: '2026-04-01', mode: 'rules-only' });
    // 4/1 Wed: 4/2 = 1, 4/3 = 2, 4/4–4/6 清明, 4/7..4/10 = 3..6, 4/13..4/17 = 7..11, 4/20..4/23 = 12..15.
    expect(openIssues(db, '2026-04-01').find((i) => i.rule === 'EDU-AND-MAN-001')).toMatchObject({ state: 'open', deadline: '2026-04-23', suppressed: null });
  });

  it('a deadline past the calendar\'s last year is left empty with the reason, never guessed', async () => {
    const { dir } = sampleFolder();
    const { db } = openTemp(dir);
    importPath(db, dir);
    await run(db, { today: '2026-12-21' });
    const i = openIssues(db, '2026-12-21').find((x) => x.severity === 'high')!;
    expect(i.deadline).toBeNull();
    expect(i.deadlineNote).toMatch(/2027.*cn-2027\.yaml/);
    // Once the calendar has 2027 (here a made-up year with 1 January as its only holiday), the next rescan
    // fills the deadline in, counted from the day the finding was opened.
    const cal = tempDir('cal');
    cpSync(join(RULES_DIR, 'calendar'), cal, { recursive: true });
    writeFileSync(join(cal, 'cn-2027.yaml'), 'year: 2027\nnotice: {title: test, issued: "2026-11-01", url: "https://example.org/"}\nholidays: [{name: 元旦, from: "2027-01-01", to: "2027-01-01"}]\nworkdays: []\n');
    await run(db, { today: '2027-01-04', mode: 'rules-only', calendar: loadCalendar(cal) });
    // 12/22..12/25 = 1..4, 12/28..12/31 = 5..8, 1/1 holiday, 1/4..1/8 = 9..13, 1/11 = 14, 1/12 = 15.
    expect(listIssues(db, { today: '2027-01-04', calendar: loadCalendar(cal) }).find((x) => x.id === i.id)).toMatchObject({ deadline: '2027-01-12', deadlineNote: null, firstSeen: '2026-12-21' });
  });

  it('with a worker thread too: a worker plans without the calendar, so a deadline counted from another day is left to the writer', async () => {
    const { dir } = sampleFolder();
    const { db, path } = openTemp(dir);
    importPath(db, dir);
    await run(db, { today: '2026-12-21' });
    const i = openIssues(db, '2026-12-21').find((x) => x.severity === 'high')!;
    expect(i.deadline).toBeNull();
    const cal = tempDir('cal-worker');
    cpSync(join(RULES_DIR, 'calendar'), cal, { recursive: true });
    writeFileSync(join(cal, 'cn-2027.yaml'), 'year: 2027\nnotice: {title: test, issued: "2026-11-01", url: "https://example.org/"}\nholidays: [{name: 元旦, from: "2027-01-01", to: "2027-01-01"}]\nworkdays: []\n');
    const r = await run(db, { today: '2027-01-04', mode: 'rules-only', calendar: loadCalendar(cal), concurrency: 1, exactConcurrency: true }, path);
    expect(r.processed).toBeGreaterThan(0);
    expect(listIssues(db, { today: '2027-01-04', calendar: loadCalendar(cal) }).find((x) => x.id === i.id)).toMatchObject({ deadline: '2027-01-12', deadlineNote: null, firstSeen: '2026-12-21' });
    db.close();
  });
});

describe('versions and the diff against the previous scan', () => {
  it('a new version keeps the surviving issues and their deadlines, opens the new ones, and is flagged "filing update due" when it breaks a new rule', async () => {
    const { dir, apk } = sampleFolder();
    const { db } = openTemp(dir);
    importPath(db, dir);
    await run(db, { today: '2026-02-13' });
    const v1 = new Map(openIssues(db, '2026-02-13').map((i) => [i.rule, i]));

    prepended(SAMPLE_APK, apk, 'self-extractor stub');
    const r = await run(db, { today: '2026-03-02' });
    const now = openIssues(db, '2026-03-02');
    const newRules = [...new Set(now.filter((i) => !v1.has(i.rule) && i.kind === 'finding').map((i) => i.rule))].sort();
    expect(newRules.length).toBeGreaterThan(0);
    for (const i of now.filter((x) => v1.has(x.rule))) {
      expect(i.firstSeen).toBe('2026-02-13');
      expect(i.deadline).toBe(v1.get(i.rule)!.deadline);
    }
    // 3/2 Mon: 3/3..3/6 = 1..4, 3/9..3/13 = 5..9, 3/16 = 10 (filing update); ..3/20 = 14, 3/23 = 15 (high finding).
    for (const i of now.filter((x) => !v1.has(x.rule) && x.kind === 'finding' && x.severity === 'high')) expect(i.deadline).toBe('2026-03-23');
    const update = now.find((i) => i.kind === 'filing-update')!;
    expect(update).toMatchObject({ rule: 'REG-FILING-UPDATE', deadline: '2026-03-16', firstSeen: '2026-03-02' });
    expect(update.message.en).toContain(`breaks new rules ${newRules.filter((x) => now.some((i) => i.rule === x && i.severity !== 'low')).join(', ')}`);
    expect(r.diff.newIssues).toBe(newRules.length + 1);
    expect(r.diff.filingUpdatesDue).toBe(1);

    const d = showEntry(db, findEntry(db, 'smartclass.apk'), { today: '2026-03-02', calendar });
    expect(d.versions.map((v) => v.sha256)).toEqual([tool('sha256sum', SAMPLE_APK), tool('sha256sum', apk)]);
    expect(d.versions[1]!.changes).toEqual([{ kind: 'new-rule-broken', rules: expect.any(Array) }]);
    expect(d.scans).toHaveLength(2);

    // The provider updates the record: the filing-update issue closes on the next (changed-only) rescan.
    const { record } = { record: join(dir, 'smartclass.provider.yaml') };
    writeFileSync(record, `${readFileSync(record, 'utf8')}\n# 2026-03-05 备案信息已更新\n`);
    importPath(db, dir);
    const after = await run(db, { today: '2026-03-05', mode: 'changed-only' });
    expect(after.status).toMatchObject({ ok: 1 });
    expect(listIssues(db, { today: '2026-03-05', calendar }).some((i) => i.kind === 'filing-update')).toBe(false);
    // Nothing changed since: --changed-only does not evaluate the package again.
    const idle = await run(db, { today: '2026-03-05', mode: 'changed-only' });
    expect(idle.status).toEqual({ ok: 0, error: 0, unchanged: 1, 'no-facts': 0 });
  });

  it('a failing package that is fixed shows as "fixed" in the diff', async () => {
    const { dir, record } = sampleFolder();
    const { db } = openTemp(dir);
    importPath(db, dir);
    const first = await run(db, { today: '2026-02-13' });
    expect(first.verdicts.fail).toBe(1);
    const highRules = [...new Set(openIssues(db, '2026-02-13').filter((i) => i.severity === 'high').map((i) => i.rule))];
    const rec = sampleRecord();
    rec.suppress = highRules.map((rule) => ({ rule, reason: '整改中，已提交说明', by: '审核员', until: '2026-12-31' }));
    writeRecord(record, rec);
    importPath(db, dir);
    const second = await run(db, { today: '2026-02-24' });
    expect(second.verdicts.fail).toBe(0);
    expect(second.diff).toMatchObject({ fixed: 1, newFailures: 0 });
    expect(second.diff.fixedList).toEqual([{ package: join(dir, 'smartclass.apk'), from: 'fail', to: expect.not.stringMatching(/^fail$/) }]);
  });
});

describe('an interrupted run', () => {
  it('is resumed by the next rescan: done packages are not redone, none is lost, the results equal an uninterrupted run', async () => {
    const { dir } = sampleFolder();
    for (let i = 0; i < 12; i++) prepended(SAMPLE_APK, join(dir, `v${i}.apk`), `variant ${i}\n`);
    writeFileSync(join(dir, 'broken.apk'), 'not a zip');
    const a = openTemp(dir);
    importPath(a.db, dir);
    const other = tempDir('resume-ref');
    cpSync(dir, other, { recursive: true, filter: (s) => !/registry\.db/.test(s) });
    const b = openTemp(other);
    importPath(b.db, other);
    const clean = await run(b.db, { today: '2026-02-13' });

    // The process "dies" after 5 commits (an exception out of the progress callback stands in for the crash).
    await expect(run(a.db, { today: '2026-02-13', onProgress: (done) => {
      if (done === 5) throw new Error('simulated crash');
    } })).rejects.toThrow('simulated crash');
    expect(a.db.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'running' }]);
    expect(a.db.prepare('SELECT COUNT(*) AS n FROM scans').get()).toEqual({ n: 5 });

    const resumed = await run(a.db, { today: '2026-02-13' });
    expect(resumed.run).toMatchObject({ id: 1, resumed: true, resumes: 1 });
    expect(resumed).toMatchObject({ alreadyDone: 5, processed: 9, total: 14 });
    expect(resumed.status).toEqual(clean.status);
    expect(resumed.verdicts).toEqual(clean.verdicts);
    expect(resumed.diff.newIssues).toBe(clean.diff.newIssues);
    const rows = (db: Db) => (db.prepare(`SELECT p.path, s.status, s.verdict, s.high, s.error_code FROM scans s JOIN packages p ON p.id = s.package_id`).all() as { path: string }[])
      .map(({ path, ...r }) => ({ file: basename(path), ...r })).sort((x, y) => x.file.localeCompare(y.file));
    expect(rows(a.db)).toEqual(rows(b.db));
    expect(a.db.prepare('SELECT COUNT(*) AS n FROM issues').get()).toEqual(b.db.prepare('SELECT COUNT(*) AS n FROM issues').get());
    expect(a.db.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'done' }]);
  });

  it('with other rules or another mode, the unfinished run is abandoned and a new one starts', async () => {
    const { dir } = sampleFolder();
    const { db } = openTemp(dir);
    importPath(db, dir);
    await expect(run(db, { today: '2026-02-13', onProgress: () => {
      throw new Error('crash');
    } })).rejects.toThrow('crash');
    const r = await run(db, { today: '2026-02-13', mode: 'rules-only' });
    expect(r.run).toMatchObject({ id: 2, resumed: false });
    expect(db.prepare('SELECT id, status FROM runs ORDER BY id').all()).toEqual([{ id: 1, status: 'abandoned' }, { id: 2, status: 'done' }]);
  });
});
