// The official working-day calendar of mainland China, kept as data (rules/calendar/cn-YYYY.yaml, one file per
// State Council notice 国务院办公厅关于YYYY年部分节假日安排的通知). A date is a working day when it is Monday to
// Friday and not a public holiday, or when the notice makes it a weekend make-up workday (调休上班).
// Years without a file are not guessed: asking about them is E_CALENDAR.
//
// Deadlines count as the filing rules and the Civil Code do: "within N working days" of an event starts on the
// next day (民法典 第二百零一条: 开始的当日不计入) and ends on the Nth working day after the event, so a
// deadline never falls on a holiday (第二百零三条).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { EduscanError } from '../errors.js';
import { SHIPPED_RULES_DIR } from '../util/package-root.js';
import { dayNumber, fromDayNumber, isValidDate, SATURDAY, SUNDAY, weekday, yearOf } from './dates.js';

/** rules/calendar/ of the installed package. */
export const CALENDAR_DIR: string = join(SHIPPED_RULES_DIR, 'calendar');
const FILE_NAME = /^cn-(\d{4})\.ya?ml$/;
/** A calendar file is a page of dates: anything bigger is not one. */
const MAX_FILE_BYTES = 64 * 1024;
/** The longest run of days a deadline may span before we call it a bug (10 years). */
const MAX_SPAN_DAYS = 3660;

const dateText = z.string().refine(isValidDate, { message: 'expected a real date as yyyy-mm-dd' });

const CalendarFileSchema = z.strictObject({
  year: z.number().int().min(1999).max(2200),
  notice: z.strictObject({
    title: z.string().min(1),
    number: z.string().min(1).optional(),
    issued: dateText,
    url: z.string().url(),
  }),
  holidays: z.array(z.strictObject({ name: z.string().min(1), from: dateText, to: dateText, days: z.number().int().min(1).optional() })).min(1),
  workdays: z.array(z.strictObject({ date: dateText, for: z.string().min(1) })),
});
export type CalendarFile = z.infer<typeof CalendarFileSchema>;

export type DayKind = 'workday' | 'weekend' | 'holiday' | 'makeup-workday';

export interface DayInfo {
  date: string;
  kind: DayKind;
  working: boolean;
  /** The holiday's name, or the holiday a make-up workday is for. */
  name?: string;
}

export class WorkCalendar {
  private readonly holidays = new Map<number, string>();
  private readonly makeup = new Map<number, string>();
  readonly years: readonly number[];
  readonly notices: ReadonlyMap<number, CalendarFile['notice']>;

  constructor(files: readonly CalendarFile[], origin = 'calendar') {
    const notices = new Map<number, CalendarFile['notice']>();
    for (const f of files) {
      if (notices.has(f.year)) throw new EduscanError('E_CONFIG', `${origin}: year ${f.year} is given twice`);
      notices.set(f.year, f.notice);
      for (const h of f.holidays) {
        const a = dayNumber(h.from);
        const b = dayNumber(h.to);
        if (b < a) throw new EduscanError('E_CONFIG', `${origin} ${f.year}: holiday ${h.name} ends (${h.to}) before it starts (${h.from})`);
        // "共N天" in the notice is the length of the whole break: a mistyped range shows here.
        if (h.days !== undefined && b - a + 1 !== h.days) {
          throw new EduscanError('E_CONFIG', `${origin} ${f.year}: holiday ${h.name} ${h.from}..${h.to} is ${b - a + 1} days, the notice says ${h.days}`);
        }
        for (let d = a; d <= b; d++) this.holidays.set(d, h.name);
      }
      for (const w of f.workdays) {
        const wd = weekday(w.date);
        if (wd !== SATURDAY && wd !== SUNDAY) throw new EduscanError('E_CONFIG', `${origin} ${f.year}: make-up workday ${w.date} is not a Saturday or Sunday`);
        this.makeup.set(dayNumber(w.date), w.for);
      }
    }
    for (const d of this.makeup.keys()) {
      if (this.holidays.has(d)) throw new EduscanError('E_CONFIG', `${origin}: ${fromDayNumber(d)} is both a holiday and a make-up workday`);
    }
    this.years = [...notices.keys()].sort((x, y) => x - y);
    this.notices = notices;
  }

  covers(date: string): boolean {
    return this.notices.has(yearOf(date));
  }

  private need(date: string): number {
    const n = dayNumber(date);
    if (!this.notices.has(yearOf(date))) {
      const span = this.years.length ? `${this.years[0]}–${this.years[this.years.length - 1]}` : 'no year';
      throw new EduscanError('E_CALENDAR', `${date}: the working-day calendar covers ${span}; add rules/calendar/cn-${yearOf(date)}.yaml from the State Council holiday notice for ${yearOf(date)}`);
    }
    return n;
  }

  day(date: string): DayInfo {
    const n = this.need(date);
    const holiday = this.holidays.get(n);
    if (holiday !== undefined) return { date, kind: 'holiday', working: false, name: holiday };
    const makeup = this.makeup.get(n);
    if (makeup !== undefined) return { date, kind: 'makeup-workday', working: true, name: makeup };
    const wd = weekday(date);
    return wd === SATURDAY || wd === SUNDAY ? { date, kind: 'weekend', working: false } : { date, kind: 'workday', working: true };
  }

  isWorkingDay(date: string): boolean {
    return this.day(date).working;
  }

  /** The Nth working day after `date` (the day itself is not counted). E_CALENDAR when it runs past the data. */
  addWorkingDays(date: string, n: number): string {
    if (!Number.isSafeInteger(n) || n < 1) throw new EduscanError('E_USAGE', `working days to add: expected a whole number ≥ 1, found ${n}`);
    let d = dayNumber(date);
    const stop = d + MAX_SPAN_DAYS;
    let left = n;
    while (left > 0) {
      d++;
      if (d > stop) throw new EduscanError('E_CALENDAR', `${date} + ${n} working days: no end within ${MAX_SPAN_DAYS} days`);
      if (this.isWorkingDay(fromDayNumber(d))) left--;
    }
    return fromDayNumber(d);
  }

  /**
   * Working days after `from` up to and including `to` (0 when `to` <= `from`): how many working days are left
   * until a deadline, or have passed since an event.
   */
  workingDaysBetween(from: string, to: string): number {
    const a = dayNumber(from);
    const b = dayNumber(to);
    if (b - a > MAX_SPAN_DAYS) throw new EduscanError('E_CALENDAR', `${from}..${to}: more than ${MAX_SPAN_DAYS} days apart`);
    let count = 0;
    for (let d = a + 1; d <= b; d++) if (this.isWorkingDay(fromDayNumber(d))) count++;
    return count;
  }
}

/** Parses one calendar file's text; `name` is only for messages. */
export function parseCalendarText(name: string, text: string): CalendarFile {
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 0 });
  } catch (e) {
    throw new EduscanError('E_CONFIG', `${name}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = CalendarFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new EduscanError('E_CONFIG', `${name}: ${i ? `${i.path.join('.') || '(top)'}: ${i.message}` : 'invalid'}`);
  }
  const m = FILE_NAME.exec(name.split(/[\\/]/).pop() ?? '');
  if (m && Number(m[1]) !== r.data.year) throw new EduscanError('E_CONFIG', `${name}: file name says ${m[1]}, year: says ${r.data.year}`);
  return r.data;
}

const cache = new Map<string, WorkCalendar>();

/** The calendar of `dir` (default rules/calendar/): every cn-YYYY.yaml in it. */
export function loadCalendar(dir: string = CALENDAR_DIR): WorkCalendar {
  const hit = cache.get(dir);
  if (hit) return hit;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => FILE_NAME.test(n)).sort();
  } catch (e) {
    throw new EduscanError('E_CONFIG', `${dir}: cannot read the calendar folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const files = names.map((n) => {
    const path = join(dir, n);
    const text = readFileSync(path, 'utf8');
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new EduscanError('E_CONFIG', `${path}: more than ${MAX_FILE_BYTES} bytes: not a calendar file`);
    return parseCalendarText(path, text);
  });
  const cal = new WorkCalendar(files, dir);
  cache.set(dir, cal);
  return cal;
}
