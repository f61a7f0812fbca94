import { RecordError } from '../model/errors.js';
import type { Origin } from '../model/event.js';
import { parseAnyTime } from '../model/time.js';
import type { ParseContext } from './format.js';

/**
 * The event time of a record, and the one rule for records without a readable time that every
 * source follows: `settings.missing_time`.
 */

export interface RecordTime {
  time: number;
  /** The time as the record writes it; empty when the record carries none. */
  timeText: string;
}

/** Largest distance from the epoch, in milliseconds, that a JavaScript Date can represent. */
const MAX_TIME_MS = 8.64e15;

/** Tells whether epoch milliseconds are a time that the scan can order and print. */
export function isValidTime(time: number): boolean {
  return Number.isFinite(time) && Math.abs(time) <= MAX_TIME_MS;
}

/**
 * Reads a record's event time from the first candidate that is a readable time. A record whose
 * candidates are all absent or unreadable is handled by `missingTime`.
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
    if (isValidTime(time)) return { time, timeText: String(candidate) };
    unreadable ??= candidate;
  }
  const found =
    unreadable === undefined
      ? 'none of its time fields is set'
      : `unreadable time ${JSON.stringify(unreadable)}`;
  return missingTime(found, unreadable === undefined ? '' : String(unreadable), context, origin);
}

/**
 * Applies `settings.missing_time` to a record without a readable event time; `found` says what
 * the record has instead. Such a record cannot take part in event-time correlation, so by
 * default it is rejected with `invalid_time`, counted and reported like any bad record. With
 * `input_time` it takes the input's modification time, and the first such record of each
 * input is logged; an input without one (standard input) still rejects it.
 */
export function missingTime(
  found: string,
  timeText: string,
  context: ParseContext,
  origin: Origin,
): RecordTime {
  if (context.settings.missingTime !== 'input_time') {
    throw new RecordError('invalid_time', `record has no readable event time: ${found}`);
  }
  if (context.mtimeMs === undefined) {
    throw new RecordError(
      'invalid_time',
      `record has no readable event time (${found}) and the input has no modification time`,
    );
  }
  if (firstInputTimeWarning(context.logger, context.file)) {
    context.logger.warn(INPUT_TIME_MESSAGE, {
      file: context.file,
      record: origin.record,
      reason: found,
    });
  }
  return { time: Math.floor(context.mtimeMs), timeText };
}

/** The warning logged for the first record of an input that takes the input time. */
export const INPUT_TIME_MESSAGE = 'records without a readable event time take the input time';

/** Inputs whose first record without a time was already logged, per scan's logger. */
const warnedInputs = new WeakMap<object, Set<string>>();

/**
 * Notes that the input-time warning for `file` goes to `logger`, and returns false when it
 * already went there. A scan with workers reads each input's head in the main thread and the
 * rest in a worker, so the pool checks the workers' warnings against its own logger too.
 */
export function firstInputTimeWarning(logger: object, file: string): boolean {
  const warned = warnedInputs.get(logger) ?? new Set<string>();
  warnedInputs.set(logger, warned);
  if (warned.has(file)) return false;
  warned.add(file);
  return true;
}

/** Reads the times of one input's records, for sources that pass the reader along. */
export class RecordTimes {
  constructor(private readonly context: ParseContext) {}

  /** Returns the first candidate that is a readable time; see `recordTime` for the rest. */
  read(candidates: readonly unknown[], origin: Origin): { time: number; text: string } {
    const { time, timeText } = recordTime(candidates, this.context, origin);
    return { time, text: timeText };
  }
}
