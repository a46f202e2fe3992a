// Calendar dates (yyyy-mm-dd) as whole days since 1970-01-01, so arithmetic never meets time zones or DST:
// the filing rules count days on the Beijing calendar, and a date here is a calendar date, not an instant.
import { EduscanError } from '../errors.js';

const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** 0 = Sunday ... 6 = Saturday, as Date.getUTCDay. */
export const SATURDAY = 6;
export const SUNDAY = 0;

/** Day number of a yyyy-mm-dd date; a malformed or impossible date (2025-02-30) is E_USAGE. */
export function dayNumber(date: string): number {
  const m = ISO_DATE.exec(date);
  if (!m) throw new EduscanError('E_USAGE', `date ${JSON.stringify(date)}: expected yyyy-mm-dd`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 2025-02-30 over to March: a round trip tells a real date from an impossible one.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new EduscanError('E_USAGE', `date ${date}: no such day`);
  }
  return ms / MS_PER_DAY;
}

export function fromDayNumber(n: number): string {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
}

export function isValidDate(date: string): boolean {
  try {
    dayNumber(date);
    return true;
  } catch {
    return false;
  }
}

export function weekday(date: string): number {
  return new Date(dayNumber(date) * MS_PER_DAY).getUTCDay();
}

export function addDays(date: string, n: number): string {
  return fromDayNumber(dayNumber(date) + n);
}

export function yearOf(date: string): number {
  return Number(date.slice(0, 4));
}

/** Today's date in China (UTC+8, no DST), the calendar the filing deadlines are counted on. */
export function chinaToday(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}
