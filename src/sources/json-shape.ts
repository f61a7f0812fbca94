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

/** Warnings about records without a readable time, per input, before they are only counted. */
const TIME_WARNINGS_PER_INPUT = 3;
/**
 * Records warned about, by input path. The scan parses the head of an input twice (once to find
 * its first time), so the record numbers make each record's warning appear once.
 */
const timeWarnings = new Map<string, number[]>();
const MAX_TRACKED_INPUTS = 10_000;

/**
 * Reads a record's event time from the first candidate that is a readable time. A record
 * whose candidates are all absent or unreadable, as partial or hand-written test records are,
 * is still parsed: it takes the input's modification time (0 for standard input), keeps the
 * unreadable text (or an empty one) as `timeText`, and the first few such records of an input
 * are logged as warnings with their file and record number.
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

  const warned = timeWarnings.get(context.file) ?? [];
  if (warned.length < TIME_WARNINGS_PER_INPUT && !warned.includes(origin.record)) {
    if (timeWarnings.size >= MAX_TRACKED_INPUTS) timeWarnings.clear();
    timeWarnings.set(context.file, [...warned, origin.record]);
    context.logger.warn('record without a readable event time; using the input time', {
      file: origin.file,
      record: origin.record,
      ...(unreadable === undefined ? {} : { time: String(unreadable) }),
    });
  }
  const timeText = unreadable === undefined ? '' : String(unreadable);
  return { time: context.mtimeMs ?? 0, timeText };
}
