/**
 * Working hours as the context file writes them: `Mon-Fri 08:00-18:00 Europe/Berlin`. Days are a
 * range (`Mon-Fri`), a list (`Mon,Wed`), one day, or `daily`; the zone is an IANA name (UTC when
 * left out). An end before the start wraps past midnight into the next day.
 */

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface HoursRange {
  text: string;
  days: ReadonlySet<number>;
  startMinute: number;
  endMinute: number;
  timezone: string;
}

const HOURS_PATTERN = /^\s*(\S+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})(?:\s+(\S+))?\s*$/;

/** Parses one hours range; returns an error message instead when the text is invalid. */
export function parseHours(text: string): HoursRange | string {
  const match = HOURS_PATTERN.exec(text);
  if (!match) return 'expected hours such as "Mon-Fri 08:00-18:00 Europe/Berlin"';
  const [, dayText, startHour, startMinute, endHour, endMinute, zone] = match;

  const days = parseDays(dayText as string);
  if (typeof days === 'string') return days;

  const start = Number(startHour) * 60 + Number(startMinute);
  const end = Number(endHour) * 60 + Number(endMinute);
  if (start > 24 * 60 || end > 24 * 60 || Number(startMinute) > 59 || Number(endMinute) > 59) {
    return `invalid time of day in "${text}"`;
  }

  const timezone = zone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return `unknown time zone "${timezone}"`;
  }
  return { text, days, startMinute: start, endMinute: end, timezone };
}

function parseDays(text: string): Set<number> | string {
  const lower = text.toLowerCase();
  if (lower === 'daily' || lower === '*' || lower === 'mon-sun')
    return new Set([0, 1, 2, 3, 4, 5, 6]);
  const days = new Set<number>();
  for (const part of lower.split(',')) {
    const [from, to] = part.split('-');
    const first = DAY_NAMES.indexOf((from ?? '').slice(0, 3));
    if (first < 0) return `unknown day "${from}" (use Mon, Tue, … Sun)`;
    if (to === undefined) {
      days.add(first);
      continue;
    }
    const last = DAY_NAMES.indexOf(to.slice(0, 3));
    if (last < 0) return `unknown day "${to}" (use Mon, Tue, … Sun)`;
    for (let day = first; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === last) break;
    }
  }
  return days;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(time: number, timezone: string): { day: number; minute: number } {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, formatter);
  }
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatter.formatToParts(time)) {
    if (part.type === 'weekday') day = DAY_NAMES.indexOf(part.value.toLowerCase().slice(0, 3));
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

export function withinHours(range: HoursRange, time: number): boolean {
  const { day, minute } = localParts(time, range.timezone);
  if (range.startMinute <= range.endMinute) {
    return range.days.has(day) && minute >= range.startMinute && minute < range.endMinute;
  }
  // Overnight: the evening part on a listed day, the morning part on the day after one.
  if (range.days.has(day) && minute >= range.startMinute) return true;
  return range.days.has((day + 6) % 7) && minute < range.endMinute;
}

/** Describes a time in the range's zone, for scope reasons: `Tue 03:13 Europe/Berlin`. */
export function describeLocalTime(range: HoursRange, time: number): string {
  const { day, minute } = localParts(time, range.timezone);
  const name = DAY_NAMES[day] ?? '?';
  const hh = String(Math.floor(minute / 60)).padStart(2, '0');
  const mm = String(minute % 60).padStart(2, '0');
  return `${name.charAt(0).toUpperCase()}${name.slice(1)} ${hh}:${mm} ${range.timezone}`;
}
