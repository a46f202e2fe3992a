// The working-day calendar against the State Council notices it is copied from (cited in each
// rules/calendar/cn-YYYY.yaml). Expected dates are the notices' own words, quoted next to each assertion;
// deadline expectations are counted by hand from those notices, day by day, in the comments.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALENDAR_DIR, loadCalendar, parseCalendarText, WorkCalendar } from '../../src/calendar/calendar.js';
import { addDays, chinaToday, dayNumber, weekday } from '../../src/calendar/dates.js';
import { errorCode as code } from '../helpers/error-code.js';

const cal = loadCalendar();


describe('the shipped calendar', () => {
  it('covers 2024, 2025 and 2026, each with its notice', () => {
    expect(cal.years).toEqual([2024, 2025, 2026]);
    expect(cal.notices.get(2024)?.number).toBe('国办发明电〔2023〕7号');
    expect(cal.notices.get(2025)?.number).toBe('国办发明电〔2024〕12号');
    for (const y of cal.years) expect(cal.notices.get(y)?.title).toBe(`国务院办公厅关于${y}年部分节假日安排的通知`);
  });

  it('2025 notice: "国庆节、中秋节：10月1日至8日放假调休，共8天。9月28日（周日）、10月11日（周六）上班"', () => {
    expect(cal.day('2025-10-01')).toMatchObject({ kind: 'holiday', working: false, name: '国庆节、中秋节' });
    expect(cal.isWorkingDay('2025-10-08')).toBe(false);
    expect(cal.day('2025-09-28')).toMatchObject({ kind: 'makeup-workday', working: true });
    expect(cal.isWorkingDay('2025-10-11')).toBe(true);
    expect(cal.isWorkingDay('2025-10-09')).toBe(true); // Thursday after the break
    expect(cal.day('2025-10-12').kind).toBe('weekend');
  });

  it('2025 notice: "春节：1月28日（农历除夕、周二）至2月4日…共8天。1月26日（周日）、2月8日（周六）上班"; "元旦：1月1日（周三）放假1天，不调休"', () => {
    for (const d of ['2025-01-28', '2025-01-31', '2025-02-04', '2025-01-01']) expect(cal.isWorkingDay(d)).toBe(false);
    for (const d of ['2025-01-26', '2025-02-08', '2025-01-02', '2025-01-27', '2025-02-05']) expect(cal.isWorkingDay(d)).toBe(true);
    expect(cal.isWorkingDay('2025-01-04')).toBe(false); // an ordinary Saturday: 不调休
  });

  it('2024 notice: "春节：2月10日至17日…2月4日（星期日）、2月18日（星期日）上班"; 除夕 2月9日 is only encouraged off', () => {
    expect(cal.isWorkingDay('2024-02-10')).toBe(false);
    expect(cal.isWorkingDay('2024-02-17')).toBe(false);
    expect(cal.isWorkingDay('2024-02-04')).toBe(true);
    expect(cal.isWorkingDay('2024-02-18')).toBe(true);
    expect(cal.isWorkingDay('2024-02-09')).toBe(true);
    expect(cal.isWorkingDay('2024-05-11')).toBe(true); // 劳动节 … 5月11日（星期六）上班
  });

  it('2026 notice: "春节：2月15日…至23日…共9天。2月14日（周六）、2月28日（周六）上班"; "元旦…1月4日（周日）上班"', () => {
    expect(cal.isWorkingDay('2026-02-15')).toBe(false);
    expect(cal.isWorkingDay('2026-02-23')).toBe(false);
    expect(cal.isWorkingDay('2026-02-14')).toBe(true);
    expect(cal.isWorkingDay('2026-02-28')).toBe(true);
    expect(cal.isWorkingDay('2026-01-04')).toBe(true);
    expect(cal.isWorkingDay('2026-10-10')).toBe(true);
    expect(cal.isWorkingDay('2026-10-07')).toBe(false);
  });

  it('every break the notice counts ("共N天") is exactly that run of days off: working days on both sides', () => {
    for (const y of cal.years) {
      const f = parseCalendarText(`cn-${y}.yaml`, readFileSync(join(CALENDAR_DIR, `cn-${y}.yaml`), 'utf8'));
      for (const h of f.holidays.filter((x) => x.days !== undefined)) {
        expect(cal.isWorkingDay(addDays(h.from, -1)), `${y} ${h.name} day before`).toBe(true);
        expect(cal.isWorkingDay(addDays(h.to, 1)), `${y} ${h.name} day after`).toBe(true);
      }
    }
  });

  it('weekdays agree with GNU date', () => {
    for (const d of ['2024-02-29', '2025-09-28', '2025-10-11', '2026-02-14', '2026-12-31']) {
      const gnu = Number(execFileSync('date', ['-u', '-d', d, '+%w']).toString().trim());
      expect(weekday(d), d).toBe(gnu);
    }
  });
});

describe('deadlines (民法典 第二百零一条: the day of the event is not counted)', () => {
  it('10 working days from Friday 2025-01-24 cross the 2025 Spring Festival and both make-up days', () => {
    // 1/26 Sun make-up =1, 1/27 =2, 1/28–2/4 holiday, 2/5 =3, 2/6 =4, 2/7 =5, 2/8 Sat make-up =6,
    // 2/10 =7, 2/11 =8, 2/12 =9, 2/13 =10.
    expect(cal.addWorkingDays('2025-01-24', 10)).toBe('2025-02-13');
    expect(cal.workingDaysBetween('2025-01-24', '2025-02-13')).toBe(10);
  });

  it('15 working days from Friday 2026-02-13 cross the nine-day 2026 Spring Festival', () => {
    // 2/14 Sat make-up =1, 2/15–2/23 holiday, 2/24..2/27 =2..5, 2/28 Sat make-up =6, 3/2..3/6 =7..11,
    // 3/9 =12, 3/10 =13, 3/11 =14, 3/12 =15.
    expect(cal.addWorkingDays('2026-02-13', 15)).toBe('2026-03-12');
  });

  it('15 working days from 2025-09-26 cross 国庆 2025 (make-up 9/28 and 10/11)', () => {
    // 9/28 Sun make-up =1, 9/29 =2, 9/30 =3, 10/1–10/8 holiday, 10/9 =4, 10/10 =5, 10/11 Sat make-up =6,
    // 10/13..10/17 =7..11, 10/20 =12, 10/21 =13, 10/22 =14, 10/23 =15.
    expect(cal.addWorkingDays('2025-09-26', 15)).toBe('2025-10-23');
  });

  it('an event on a holiday still counts from the next day', () => {
    // 2025-10-01 (holiday): 10/9 =1, 10/10 =2, 10/11 =3.
    expect(cal.addWorkingDays('2025-10-01', 3)).toBe('2025-10-11');
  });

  it('a year without data is E_CALENDAR, never a guess — also when a deadline runs into it', () => {
    expect(code(() => cal.isWorkingDay('2027-03-01'))).toBe('E_CALENDAR');
    expect(code(() => cal.isWorkingDay('2023-12-29'))).toBe('E_CALENDAR');
    expect(code(() => cal.addWorkingDays('2026-12-24', 10))).toBe('E_CALENDAR');
    expect(cal.addWorkingDays('2026-12-24', 5)).toBe('2026-12-31');
    expect(cal.covers('2027-01-01')).toBe(false);
  });

  it('bad input is E_USAGE', () => {
    expect(code(() => cal.isWorkingDay('2025-02-30'))).toBe('E_USAGE');
    expect(code(() => cal.isWorkingDay('20250101'))).toBe('E_USAGE');
    expect(code(() => cal.addWorkingDays('2025-01-02', 0))).toBe('E_USAGE');
  });
});

describe('calendar data checks', () => {
  const base = { year: 2030, notice: { title: 't', issued: '2029-11-01', url: 'https://example.org/' } };
  it('a range that disagrees with the notice\'s day count is E_CONFIG', () => {
    expect(code(() => new WorkCalendar([{ ...base, holidays: [{ name: 'x', from: '2030-10-01', to: '2030-10-07', days: 8 }], workdays: [] }]))).toBe('E_CONFIG');
  });
  it('a make-up workday on a weekday is E_CONFIG', () => {
    expect(code(() => new WorkCalendar([{ ...base, holidays: [{ name: 'x', from: '2030-10-01', to: '2030-10-01' }], workdays: [{ date: '2030-10-02', for: 'x' }] }]))).toBe('E_CONFIG');
  });
  it('a file whose name and year disagree, or with an unknown key, is E_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eduscan-cal-'));
    writeFileSync(join(dir, 'cn-2031.yaml'), 'year: 2030\nnotice: {title: t, issued: "2029-11-01", url: "https://example.org/"}\nholidays: [{name: x, from: "2030-10-01", to: "2030-10-01"}]\nworkdays: []\n');
    expect(code(() => loadCalendar(dir))).toBe('E_CONFIG');
    expect(code(() => parseCalendarText('cn-2030.yaml', 'year: 2030\nextra: 1\n'))).toBe('E_CONFIG');
  });
});

describe('dates', () => {
  it('day numbers are whole days since 1970-01-01 (date +%s / 86400)', () => {
    const s = Number(execFileSync('date', ['-u', '-d', '2025-10-01', '+%s']).toString().trim());
    expect(dayNumber('2025-10-01')).toBe(s / 86400);
  });
  it('China today is UTC+8', () => {
    expect(chinaToday(new Date('2025-09-30T16:30:00Z'))).toBe('2025-10-01');
    expect(chinaToday(new Date('2025-09-30T15:59:59Z'))).toBe('2025-09-30');
  });
});
