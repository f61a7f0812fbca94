/**
 * Records of the generated copies (generate.ts): copy n of a record is moved n × 209 weeks
 * later and its host and user names get the copy's tag. 209 weeks are longer than the 2019 to
 * 2023 span of the OTRF set, so copies never overlap in time or share a session or correlation
 * key. A whole number of weeks keeps weekday and time of day.
 */

const WEEK_MS = 7 * 24 * 3600 * 1000;
export const COPY_OFFSET_MS = 209 * WEEK_MS;

/** A seeded pseudo-random generator (mulberry32), returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const TAG_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Draws a tag of four letters and digits for a copy's names. */
export function randomTag(random: () => number): string {
  return Array.from({ length: 4 }, () => TAG_CHARS[Math.floor(random() * TAG_CHARS.length)]).join(
    '',
  );
}

const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)([T ])(\d\d):(\d\d):(\d\d)(.*)$/;

/** Moves a `YYYY-MM-DD[T ]hh:mm:ss…` value by `offsetMs`, keeping its suffix (fraction, zone). */
export function shiftTime(value: string, offsetMs: number): string | undefined {
  const match = DATE_TIME.exec(value);
  if (!match) return undefined;
  const [, year, month, day, separator, hour, minute, second, rest] = match;
  const time =
    Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute)) +
    Number(second) * 1000 +
    offsetMs;
  const date = new Date(time);
  const pad = (number: number) => String(number).padStart(2, '0');
  const shiftedYear = date.getUTCFullYear();
  const datePart = `${shiftedYear}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const clock = [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  const timePart = clock.map(pad).join(':');
  return `${datePart}${separator}${timePart}${rest}`;
}

const HOST_FIELDS = ['Hostname', 'Computer', 'host', 'WorkstationName'];
const USER_FIELDS = ['SubjectUserName', 'TargetUserName', 'AccountName', 'User', 'UserName'];
/** Built-in accounts keep their names, so that rules about them still read them. */
const BUILT_IN = /^(-|system|local service|network service|anonymous logon|nt authority\\.*)?$/i;

function tagHost(name: string, tag: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? `${name}-${tag}` : `${name.slice(0, dot)}-${tag}${name.slice(dot)}`;
}

function tagUser(name: string, tag: string): string {
  if (BUILT_IN.test(name.trim())) return name;
  return name.endsWith('$') ? `${name.slice(0, -1)}-${tag}$` : `${name}-${tag}`;
}

/**
 * Rewrites one record for a copy: every date-time string field moved, names tagged. Times in
 * free text (the `Message` field) stay as they are.
 */
export function rewriteRecord(record: Record<string, unknown>, offsetMs: number, tag: string) {
  if (offsetMs === 0 && tag === '') return record;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (typeof value !== 'string') {
      out[key] = value;
      continue;
    }
    if (tag !== '' && HOST_FIELDS.includes(key)) out[key] = tagHost(value, tag);
    else if (tag !== '' && USER_FIELDS.includes(key)) out[key] = tagUser(value, tag);
    else out[key] = shiftTime(value, offsetMs) ?? value;
  }
  return out;
}
