// planIssues: the writes that bring a package's issue rows in line with its tracked findings. The worker/main
// equivalence on real packages is in rules-only.test.ts; here each rule of the lifecycle on hand-made rows.
import { describe, expect, it } from 'vitest';
import type { TrackedFinding } from '../../src/registry/evaluate.js';
import { planIssues, type IssueRow, type PlanContext } from '../../src/registry/issue-plan.js';

const row = (over: Partial<IssueRow> & Pick<IssueRow, 'id' | 'key'>): IssueRow => ({
  kind: 'finding', app_id: 7, severity: 'medium', fingerprint: `fp-${over.key}`, message: `{"zh":"${over.key}","en":"${over.key}"}`, first_seen: '2026-01-05',
  resolved_at: null, deadline: null, deadline_note: null, opened_run: 1, suppressed_reason: null, suppressed_by: null, suppressed_until: null, ...over,
});
const finding = (key: string, over: Partial<TrackedFinding> = {}): TrackedFinding => ({
  rule: `R-${key}`, severity: 'medium', fingerprint: `fp-${key}`, key, message: `{"zh":"${key}","en":"${key}"}`, ...over,
});
const ctx = (over: Partial<PlanContext> = {}): PlanContext => ({
  appId: 7, recordDigest: 'rec-1', runId: 9, openedToday: { deadline: '2026-03-23', note: null }, after: (from) => ({ deadline: `${from}+15`, note: null }), ...over,
});
const source = (open: IssueRow[], resolved: IssueRow[] = []) => ({
  open: () => open,
  byKey: (key: string) => resolved.find((r) => r.key === key),
});

describe('planIssues', () => {
  it('writes nothing for issues that are open as they were', () => {
    const plan = planIssues(source([row({ id: 1, key: 'a' }), row({ id: 2, key: 'b' })]), [finding('a'), finding('b')], ctx());
    expect(plan).toEqual({ appId: 7, inserts: [], updates: [], resolves: [], deadlines: [], settled: true });
  });

  it('inserts a new finding (a high one with the deadline of today), resolves one that is gone, updates a changed severity', () => {
    const plan = planIssues(source([row({ id: 1, key: 'gone' }), row({ id: 2, key: 'raised' })]), [finding('new', { severity: 'high' }), finding('raised', { severity: 'high' })], ctx())!;
    expect(plan.inserts).toEqual([expect.objectContaining({ key: 'new', rule: 'R-new', severity: 'high', deadline: '2026-03-23', note: null, appId: 7 })]);
    expect(plan.updates).toEqual([expect.objectContaining({ id: 2, severity: 'high', deadline: '2026-03-23', openedRun: 1 })]);
    expect(plan.resolves).toEqual([1]);
  });

  it('reopens a resolved issue whose finding is back, in this run and with a new clock', () => {
    const plan = planIssues(source([], [row({ id: 4, key: 'back', resolved_at: '2026-02-01', severity: 'high', deadline: '2026-02-20' })]), [finding('back', { severity: 'high' })], ctx())!;
    expect(plan.updates).toEqual([expect.objectContaining({ id: 4, openedRun: 9, deadline: '2026-03-23' })]);
    expect(plan.inserts).toEqual([]);
  });

  it('gives no plan where a deadline counted from another day is needed and the context cannot count it', () => {
    const waiting = row({ id: 5, key: 'w', severity: 'high', deadline: null, deadline_note: 'the calendar ends in 2026' });
    expect(planIssues(source([waiting]), [finding('w', { severity: 'high' })], ctx({ after: () => undefined }))).toBeUndefined();
    // Where it can, the clock counts from the day the issue was first seen.
    expect(planIssues(source([waiting]), [finding('w', { severity: 'high' })], ctx())!.updates).toEqual([expect.objectContaining({ id: 5, deadline: '2026-01-05+15', note: null })]);
  });

  it('is not settled while a new high finding waits for the calendar', () => {
    const plan = planIssues(source([]), [finding('x', { severity: 'high' })], ctx({ openedToday: { deadline: null, note: 'no calendar for 2027' } }))!;
    expect(plan.settled).toBe(false);
    expect(plan.inserts[0]).toMatchObject({ deadline: null, note: 'no calendar for 2027' });
  });

  it('resolves a filing update when the record changed, and fills in its deadline when the calendar now reaches it', () => {
    const update = (id: number, fingerprint: string, deadline: string | null) => row({ id, key: `filing-update:${id}`, kind: 'filing-update', fingerprint, deadline });
    const plan = planIssues(source([update(1, 'rec-0', '2026-02-01'), update(2, 'rec-1', null)]), [], ctx())!;
    expect(plan.resolves).toEqual([1]);
    expect(plan.deadlines).toEqual([{ id: 2, deadline: '2026-01-05+15' }]);
  });

  it('a suppressed high finding carries its suppression and starts no clock', () => {
    const plan = planIssues(source([]), [finding('s', { severity: 'high', suppressed: { reason: 'accepted', by: 'reviewer', until: '2026-12-31' } })], ctx())!;
    expect(plan.inserts[0]).toMatchObject({ sReason: 'accepted', sBy: 'reviewer', sUntil: '2026-12-31', deadline: null });
  });
});
