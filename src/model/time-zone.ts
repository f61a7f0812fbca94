import { parseDuration } from './duration.js';
import { checkIsoTime, parseIsoTime } from './time.js';

/**
 * Time zones for display and for reading the times a user types (`--since 2025-10-24 08:00`),
 * through the IANA zone database that Node's Intl carries. Event times stay UTC everywhere else.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(zone, found);
  }
  return found;
}

/** Returns an error message when `zone` is not an IANA time zone name (or `UTC`). */
export function checkTimeZone(zone: string): string | undefined {
  try {
    formatter(zone);
    return undefined;
  } catch {
    return `unknown time zone "${zone}"; use an IANA name such as UTC or Europe/Berlin`;
  }
}

function parts(time: number, zone: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of formatter(zone).formatToParts(new Date(time))) out[part.type] = part.value;
  return out;
}

/** Offset of `zone` from UTC at an instant, in minutes (`+120` for UTC+02:00). */
export function zoneOffsetMinutes(time: number, zone: string): number {
  const name = parts(time, zone).timeZoneName ?? 'GMT';
  const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** Formats epoch milliseconds in a zone: `2025-10-24 10:15:02.123 +02:00`. */
export function formatTimeIn(time: number, zone: string): string {
  if (!Number.isFinite(time)) return '';
  const p = parts(time, zone);
  const millis = String(((time % 1000) + 1000) % 1000).padStart(3, '0');
  const offset = (p.timeZoneName ?? 'GMT').replace(/^GMT$/, 'GMT+00:00').replace('GMT', '');
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${millis} ${offset}`;
}

/**
 * Parses a time a user gives: an ISO date or date-time (read in `zone` when it names none), or
 * a duration back from `now` (`24h`, `7d`). Returns NaN when the text is neither, and for a
 * date or time that does not exist (checkIsoTime returns why).
 */
export function parseUserTime(text: string, zone: string, now: number): number {
  const trimmed = text.trim();
  const back = parseDuration(trimmed);
  if (back !== undefined) return now - back;
  if (checkIsoTime(trimmed) !== undefined) return Number.NaN;

  const dateTime = /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00` : trimmed;
  const asUtc = parseIsoTime(dateTime, 0);
  if (!Number.isFinite(asUtc)) return Number.NaN;
  if (parseIsoTime(dateTime, 60) !== asUtc) {
    // No zone written: read the wall-clock time in `zone`, settling the offset at that instant.
    const first = asUtc - zoneOffsetMinutes(asUtc, zone) * 60_000;
    return asUtc - zoneOffsetMinutes(first, zone) * 60_000;
  }
  return asUtc;
}
