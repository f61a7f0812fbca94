import { parseDuration } from '../model/duration.js';

/**
 * Reads the durations of correlation and chain rules (`timespan`, `within`, `lead`, `window`,
 * `observe_within`). A window must be longer than zero, because a window of zero or less
 * contains no records, so the rule could never fire.
 */

export type DurationResult = { ms: number } | { message: string };

/**
 * Parses `value`, written for `key`, to milliseconds, or returns why it is not a usable
 * duration. Numbers count as seconds where `numbers` allows them (Sigma's `timespan`).
 */
export function readRuleDuration(
  value: unknown,
  key: string,
  example: string,
  numbers = false,
): DurationResult {
  if (value === undefined || value === null) {
    return { message: `${key} is missing: give a duration such as ${example}` };
  }
  const written = JSON.stringify(value);
  const readable = typeof value === 'string' || (numbers && typeof value === 'number');
  const ms = readable ? parseDuration(value as string | number) : undefined;

  if (ms === undefined) {
    const negative =
      (typeof value === 'number' && value < 0) ||
      (typeof value === 'string' && parseDuration(value.trim().replace(/^-/, '')) !== undefined);
    if (negative) return { message: `${key} ${written} is negative; it must be longer than zero` };
    return {
      message: `${key} ${written} is not a duration: write a number and a unit (s, m, h, d), such as ${example}`,
    };
  }
  if (ms <= 0) return { message: `${key} ${written} is zero; it must be longer than zero` };
  return { ms };
}
