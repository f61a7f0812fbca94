import { existingTime, parseIsoTime } from '../../model/time.js';

/**
 * Event time of syslog lines. RFC 3339 and RFC 5424 stamps carry their offset. Traditional
 * stamps (`Mar 22 09:02:11`) carry neither year nor zone, so the zone is
 * `settings.syslog.timezone` (UTC when unset). The year is `settings.syslog.year` for the first
 * such line of a file, and it counts on by one at each new-year wrap inside the file (a month
 * that falls back by more than six, December to January). Without a configured year, each line
 * takes the year that puts it closest before the file's modification time, allowing one day of
 * slack for zone differences and clock skew. A file that spans New Year then splits at the
 * right line by itself.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** How far after the modification time a traditional line may lie and keep that year. */
const MTIME_SLACK_MS = 24 * 60 * 60 * 1000;

export interface SyslogTimeSettings {
  year?: number;
  timezone?: string;
}

/** The parts of a traditional stamp, month 0-11. */
export interface TraditionalStamp {
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
}

/** Month index of a three-letter English month name, or -1. */
export function monthIndex(name: string): number {
  return MONTHS.indexOf(name.toLowerCase());
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of a zone from UTC at an instant, in minutes (Europe/Berlin in summer: 120). */
export function zoneOffsetMinutes(timezone: string, time: number): number {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return 0;
  let formatter = offsetFormatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(timezone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(time)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return Math.round((asUtc - (time - (time % 1000))) / 60000);
}

/**
 * Converts a wall-clock time in a zone to epoch milliseconds; NaN for a date or time that does
 * not exist (`Feb 30`, hour 25), which `Date.UTC` would roll over into another day.
 */
export function localToUtc(
  year: number,
  stamp: TraditionalStamp,
  timezone: string | undefined,
): number {
  if (!validStamp(year, stamp)) return Number.NaN;
  const wall = Date.UTC(
    year,
    stamp.month,
    stamp.day,
    stamp.hour,
    stamp.minute,
    stamp.second,
    stamp.millis,
  );
  return timezone === undefined ? wall : wallToUtc(wall, timezone);
}

/** True when the stamp's day exists in that year (`month` counts from 0, as in `Date`). */
function validStamp(year: number, stamp: TraditionalStamp): boolean {
  const { month, day, hour, minute, second } = stamp;
  return existingTime(year, month + 1, day, hour, minute, second);
}

/** Converts a wall-clock time written as if it were UTC to the instant it means in a zone. */
function wallToUtc(wall: number, timezone: string): number {
  // The offset at the wall time read as UTC is off by at most the offset itself. A second pass
  // at the corrected instant gives the right offset, except inside a daylight-saving gap.
  const first = wall - zoneOffsetMinutes(timezone, wall) * 60000;
  return wall - zoneOffsetMinutes(timezone, first) * 60000;
}

/** Per-file state that gives traditional stamps their year. */
export class SyslogClock {
  private year: number | undefined;
  private lastMonth = -1;

  constructor(
    private readonly settings: SyslogTimeSettings,
    /** Modification time of the file, or the current time when it has none (standard input). */
    private readonly referenceMs: number,
  ) {
    this.year = settings.year;
  }

  /** Epoch milliseconds of a traditional stamp. */
  traditional(stamp: TraditionalStamp): number {
    const zone = this.settings.timezone;
    if (this.settings.year === undefined) return this.closestBeforeReference(stamp, zone);

    if (this.lastMonth >= 0) {
      if (stamp.month - this.lastMonth < -6) this.year = (this.year as number) + 1;
      else if (stamp.month - this.lastMonth > 6) this.year = (this.year as number) - 1;
    }
    this.lastMonth = stamp.month;
    return localToUtc(this.year as number, stamp, zone);
  }

  /** Epoch milliseconds of an ISO stamp; one without an offset is read in the configured zone. */
  iso(text: string): number {
    const zone = this.settings.timezone;
    const utc = parseIsoTime(text);
    if (!Number.isFinite(utc) || zone === undefined || hasOffset(text)) return utc;
    return wallToUtc(utc, zone);
  }

  private closestBeforeReference(stamp: TraditionalStamp, zone: string | undefined): number {
    const reference = new Date(this.referenceMs).getUTCFullYear();
    for (const year of [reference + 1, reference, reference - 1]) {
      const time = localToUtc(year, stamp, zone);
      if (time <= this.referenceMs + MTIME_SLACK_MS) return time;
    }
    // February 29 exists only in leap years, so look back until one has it.
    for (let year = reference - 2; year >= reference - 8; year--) {
      const time = localToUtc(year, stamp, zone);
      if (Number.isFinite(time)) return time;
    }
    return Number.NaN;
  }
}

function hasOffset(text: string): boolean {
  return /(?:[zZ]|[+-]\d{2}:?\d{2}|UTC|GMT)$/.test(text.trim());
}
