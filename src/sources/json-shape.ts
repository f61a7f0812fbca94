import { RecordError } from '../model/errors.js';
import type { Origin } from '../model/event.js';
import { parseAnyTime } from '../model/time.js';
import type { ParseContext } from './format.js';

/** Small helpers that the JSON sources share to read records of loosely known shape. */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Returns the value at a path of object keys, or undefined when any step is missing. */
export function pick(root: unknown, ...path: string[]): unknown {
  let node = root;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

const EMPTY_TEXT = new Set(['', '-', 'null', '(null)', 'n/a']);

/** Returns a scalar as text, or undefined for absent, empty and placeholder values (`-`, `null`). */
export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return undefined;
  const result = String(value).trim();
  return EMPTY_TEXT.has(result.toLowerCase()) ? undefined : result;
}

/** Returns the first of the values that is non-empty text. */
export function firstText(...values: unknown[]): string | undefined {
  for (const value of values) {
    const found = text(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function truncate(value: string, length: number): string {
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

export interface RecordTime {
  time: number;
  /** The time as the record writes it; empty when the record carries none. */
  timeText: string;
}

/**
 * Reads a record's event time from the first candidate that is a readable time. A record whose
 * candidates are all absent or unreadable cannot take part in event-time correlation: by
 * default it is rejected with `invalid_time`, counted and reported like any bad record. With
 * `settings.missing_time: input_time` it is parsed with the input's modification time instead,
 * and the first such record of each input is logged.
 */
export function recordTime(
  candidates: readonly unknown[],
  context: ParseContext,
  origin: Origin,
  defaultOffsetMinutes = 0,
): RecordTime {
  let unreadable: unknown;
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === null || candidate === '') continue;
    const time = parseAnyTime(candidate, defaultOffsetMinutes);
    if (Number.isFinite(time)) return { time, timeText: String(candidate) };
    unreadable ??= candidate;
  }
  const found =
    unreadable === undefined
      ? 'none of its time fields is set'
      : `unreadable time ${JSON.stringify(unreadable)}`;
  if (context.settings.missingTime !== 'input_time') {
    throw new RecordError('invalid_time', `record has no readable event time: ${found}`);
  }
  if (context.mtimeMs === undefined) {
    throw new RecordError(
      'invalid_time',
      `record has no readable event time (${found}) and the input has no modification time`,
    );
  }
  const warned = warnedInputs.get(context.logger) ?? new Set<string>();
  warnedInputs.set(context.logger, warned);
  if (!warned.has(context.file)) {
    warned.add(context.file);
    context.logger.warn('records without a readable event time take the input time', {
      file: origin.file,
      record: origin.record,
      reason: found,
    });
  }
  return {
    time: Math.floor(context.mtimeMs),
    timeText: unreadable === undefined ? '' : String(unreadable),
  };
}

/** Inputs whose first record without a time was already logged, per scan's logger. */
const warnedInputs = new WeakMap<object, Set<string>>();

/** Reads the times of one input's records, for sources that pass the reader along. */
export class RecordTimes {
  constructor(private readonly context: ParseContext) {}

  /** Returns the first candidate that is a readable time; see `recordTime` for the rest. */
  read(candidates: readonly unknown[], origin: Origin): { time: number; text: string } {
    const { time, timeText } = recordTime(candidates, this.context, origin);
    return { time, text: timeText };
  }
}
