/** Parses the time notations that log formats write, always to epoch milliseconds UTC. */

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2}|UTC|GMT)?$/;

/**
 * Parses an ISO 8601 / RFC 3339 timestamp with any number of fraction digits. A timestamp
 * without a zone is read in `defaultOffsetMinutes` (UTC unless given), never in the machine's
 * local zone, so that results do not depend on where trustwatch runs. Returns NaN when the text
 * is not such a timestamp.
 */
export function parseIsoTime(text: string, defaultOffsetMinutes = 0): number {
  const fast = parseIsoFast(text, defaultOffsetMinutes);
  if (fast !== undefined) return fast;

  const match = ISO_PATTERN.exec(text.trim());
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const millis = fraction ? Number(`0.${fraction}`) * 1000 : 0;
  const fields = [
    Number(year),
    Number(month),
    Number(day),
    hour ? Number(hour) : 0,
    minute ? Number(minute) : 0,
    second ? Number(second) : 0,
  ] as const;
  if (!existingTime(...fields)) return Number.NaN;
  const base = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
  return base + Math.floor(millis + 1e-6) - zoneOffsetMinutes(zone, defaultOffsetMinutes) * 60000;
}

/**
 * Reads the shapes that logs write nearly always (`2020-10-19 12:28:44.333`,
 * `2020-10-19T12:28:44.3331234Z`, `…+02:00`) by character codes, to the same result as
 * `ISO_PATTERN`. It returns undefined for any other text, which then takes the expression:
 * surrounding spaces, a space before the zone, `UTC` or `GMT`, a date without a time.
 */
function parseIsoFast(text: string, defaultOffsetMinutes: number): number | undefined {
  const length = text.length;
  if (length < 16 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d) return undefined;
  const separator = text.charCodeAt(10);
  if (separator !== 0x54 && separator !== 0x20) return undefined;
  if (text.charCodeAt(13) !== 0x3a) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  if ((year | month | day | hour | minute) < 0) return undefined;

  let at = 16;
  let second = 0;
  let millis = 0;
  if (at < length && text.charCodeAt(at) === 0x3a) {
    second = digitsAt(text, at + 1, 2);
    if (second < 0) return undefined;
    at += 3;
    // A read past the end deoptimized this function (Node 20), so the length is checked first.
    const mark = at < length ? text.charCodeAt(at) : -1;
    if (mark === 0x2e || mark === 0x2c) {
      const start = at + 1;
      at = start;
      while (at < length && isDigit(text.charCodeAt(at))) at++;
      if (at === start) return undefined;
      // Up to three digits are whole milliseconds. Longer fractions keep the expression's
      // arithmetic, so that both paths round alike.
      millis =
        at - start <= 3
          ? digitsAt(text, start, at - start) * 10 ** (3 - (at - start))
          : Math.floor(Number(`0.${text.slice(start, at)}`) * 1000 + 1e-6);
    }
  }

  const offset = at === length ? defaultOffsetMinutes : zoneAt(text, at);
  if (offset === undefined) return undefined;
  if (!existingTime(year, month, day, hour, minute, second)) return Number.NaN;
  const base = dayStart(year, month, day) + ((hour * 60 + minute) * 60 + second) * 1000;
  return base + millis - offset * 60000;
}

let lastDay = -1;
let lastDayStart = 0;

/**
 * Returns `Date.UTC` of a day, remembered for the last day requested. The records of a log mostly
 * share their day, and a Windows flat record has three times of the same day.
 */
function dayStart(year: number, month: number, day: number): number {
  const key = (year * 13 + month) * 32 + day;
  if (key !== lastDay) {
    lastDayStart = Date.UTC(year, month - 1, day);
    lastDay = key;
  }
  return lastDayStart;
}

/** Reads the zone offset in minutes from `at` to the end: `Z`, `z`, `+HH:MM` or `+HHMM`. */
function zoneAt(text: string, at: number): number | undefined {
  const code = text.charCodeAt(at);
  const rest = text.length - at;
  if ((code === 0x5a || code === 0x7a) && rest === 1) return 0;
  if (code !== 0x2b && code !== 0x2d) return undefined;
  const colon = rest === 6 && text.charCodeAt(at + 3) === 0x3a;
  if (!colon && rest !== 5) return undefined;
  const hours = digitsAt(text, at + 1, 2);
  const minutes = digitsAt(text, colon ? at + 4 : at + 3, 2);
  if ((hours | minutes) < 0) return undefined;
  return (code === 0x2d ? -1 : 1) * (hours * 60 + minutes);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Reads `count` ASCII digits from `at` as a decimal number; -1 when one is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let index = at; index < at + count; index++) {
    const code = text.charCodeAt(index);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 0x30);
  }
  return value;
}

/**
 * True when the date exists and the time of day is in range. `Date.UTC` would roll
 * `2023-13-45T25:99:99` over into another day, which gives a log record a wrong time instead of
 * none. Second 60 is kept for leap seconds.
 */
export function existingTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): boolean {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  return hour <= 23 && minute <= 59 && second <= 60;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/**
 * Checks a date or date-time that a user typed (an option, a context file value) more strictly
 * than log records are read. Every field must be in its range, so `2024-02-30`, month 13 or
 * hour 24 are rejected instead of rolling over into the next day or year. Returns the reason
 * when the text is invalid, or undefined when parseIsoTime reads it as written.
 */
export function checkIsoTime(text: string): string | undefined {
  const match = ISO_PATTERN.exec(text.trim());
  if (!match) return 'not an ISO 8601 date or date-time';
  const [, year, month, day, hour, minute, second, , zone] = match;

  if (Number(month) < 1 || Number(month) > 12) return `month ${month} does not exist`;
  const days = daysInMonth(Number(year), Number(month));
  if (Number(day) < 1 || Number(day) > days) return `${year}-${month} has ${days} days, not ${day}`;
  const ranges: [string, string | undefined, number][] = [
    ['hour', hour, 23],
    ['minute', minute, 59],
    ['second', second, 59],
  ];
  for (const [name, value, max] of ranges) {
    if (value !== undefined && Number(value) > max) return `${name} ${value} is not 00 to ${max}`;
  }

  if (zone !== undefined && /^[+-]/.test(zone)) {
    const digits = zone.slice(1).replace(':', '');
    if (Number(digits.slice(0, 2)) > 23 || Number(digits.slice(2, 4)) > 59) {
      return `zone offset ${zone} is not from -23:59 to +23:59`;
    }
  }
  return undefined;
}

function zoneOffsetMinutes(zone: string | undefined, fallback: number): number {
  if (zone === undefined) return fallback;
  if (zone === 'Z' || zone === 'z' || zone === 'UTC' || zone === 'GMT') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

/** Reads epoch seconds, milliseconds or microseconds, telling them apart by magnitude. */
export function parseEpoch(value: number): number {
  if (!Number.isFinite(value)) return Number.NaN;
  const magnitude = Math.abs(value);
  if (magnitude < 1e11) return Math.round(value * 1000);
  if (magnitude < 1e14) return Math.round(value);
  if (magnitude < 1e17) return Math.round(value / 1000);
  return Math.round(value / 1e6);
}

/** Parses a time value of unknown notation: ISO text, epoch numbers, or `/Date(ms)/`. */
export function parseAnyTime(value: unknown, defaultOffsetMinutes = 0): number {
  if (typeof value === 'number') return parseEpoch(value);
  if (typeof value !== 'string') return Number.NaN;
  // No epoch number or `/Date(…)/` has the shape that the fast ISO path reads.
  const fast = parseIsoFast(value, defaultOffsetMinutes);
  if (fast !== undefined) return fast;

  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return parseEpoch(Number(text));
  const dotnet = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(text);
  if (dotnet) return Number(dotnet[1]);
  return parseIsoTime(text, defaultOffsetMinutes);
}

/**
 * Reads the time texts of one field of a log's records with `parse`, parsing a text only when it
 * differs from the last one read. Consecutive records often repeat a time: in the OTRF Windows
 * events, 76 % of EventTime values and 99 % of EventReceivedTime values equal the previous
 * record's.
 */
export class RepeatedTimeReader {
  private lastText: string | undefined;
  private lastTime = Number.NaN;

  constructor(private readonly parse: (text: string) => number) {}

  /** Returns the time of `text`, as `parse` reads it. */
  read(text: string): number {
    if (text !== this.lastText) {
      this.lastTime = this.parse(text);
      this.lastText = text;
    }
    return this.lastTime;
  }
}

/** Formats epoch milliseconds as ISO 8601 UTC with milliseconds. */
export function formatTime(time: number): string {
  return Number.isFinite(time) ? new Date(time).toISOString() : '';
}
