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

/**
 * Parses one hours range. An invalid text returns every problem found instead: each unknown day
 * name, each invalid time and an unknown zone.
 */
export function parseHours(text: string): HoursRange | string[] {
  const match = HOURS_PATTERN.exec(text);
  if (!match) return [`expected hours such as "Mon-Fri 08:00-18:00 Europe/Berlin", not "${text}"`];
  const [, dayText, startHour, startMinute, endHour, endMinute, zone] = match;
  const problems: string[] = [];

  const days = parseDays(dayText as string);
  if (Array.isArray(days)) problems.push(...days);

  const start = minuteOfDay(startHour as string, startMinute as string, problems);
  const end = minuteOfDay(endHour as string, endMinute as string, problems);

  const timezone = zone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    problems.push(`unknown time zone "${timezone}"`);
  }

  if (problems.length > 0 || Array.isArray(days)) return problems;
  return { text, days, startMinute: start, endMinute: end, timezone };
}

/** Returns the minute of the day of `hour:minute`, reporting a time past 24:00. */
function minuteOfDay(hour: string, minute: string, problems: string[]): number {
  const value = Number(hour) * 60 + Number(minute);
  if (value > 24 * 60 || Number(minute) > 59) {
    problems.push(`invalid time of day "${hour}:${minute}" (use 00:00 to 24:00)`);
  }
  return value;
}

function parseDays(text: string): Set<number> | string[] {
  const lower = text.toLowerCase();
  if (lower === 'daily' || lower === '*' || lower === 'mon-sun')
    return new Set([0, 1, 2, 3, 4, 5, 6]);
  const days = new Set<number>();
  const problems: string[] = [];
  const dayIndex = (name: string): number => {
    const index = DAY_NAMES.indexOf(name.slice(0, 3));
    if (index < 0) problems.push(`unknown day "${name}" (use Mon, Tue, … Sun)`);
    return index;
  };

  for (const part of lower.split(',')) {
    const [from, to] = part.split('-');
    const first = dayIndex(from ?? '');
    const last = to === undefined ? first : dayIndex(to);
    if (first < 0 || last < 0) continue;
    for (let day = first; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === last) break;
    }
  }
  return problems.length > 0 ? problems : days;
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
