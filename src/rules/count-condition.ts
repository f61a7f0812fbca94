import type { CountCondition } from './rule.js';

/**
 * Parses the `condition` of a Sigma correlation: `gt`, `gte`, `lt`, `lte` and `eq` bounds on a
 * count, all of which must hold, and for `value_count` the `field` whose values are counted.
 *
 * A count is a whole number: events of a group (`event_count`), distinct values of a field
 * (`value_count`) or distinct rules that matched (`temporal`, `temporal_ordered`). A group
 * exists only once one of its records arrived, so every count is at least 1, and a temporal
 * count is at most the number of rules listed. A negative or fractional bound, or bounds that
 * no count in that range meets, are rejected with the values, because such a rule either
 * fires on every record or never fires.
 */

const CONDITION_KEYS = new Set(['gt', 'gte', 'lt', 'lte', 'eq', 'field']);

type Report = (path: (string | number)[], code: string, message: string, onKey?: boolean) => void;

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads one bound; returns undefined after reporting a value that is not a count. */
function readBound(key: string, item: unknown, path: (string | number)[], fail: Report) {
  const at = [...path, key];
  if (typeof item !== 'number' || !Number.isFinite(item)) {
    fail(
      at,
      'correlation.invalid_condition',
      `${key} must be a whole number, not ${JSON.stringify(item)}`,
    );
    return undefined;
  }
  if (item < 0) {
    fail(at, 'correlation.invalid_condition', `${key}: ${item} is negative, but a count never is`);
    return undefined;
  }
  if (!Number.isInteger(item)) {
    fail(
      at,
      'correlation.invalid_condition',
      `${key}: ${item} is not a whole number, but a count always is`,
    );
    return undefined;
  }
  return item;
}

/**
 * Returns why no count from 1 to `max` meets every bound of `condition`, or undefined when
 * some count does.
 */
function unmet(condition: CountCondition, max: number, maxReason: string): string | undefined {
  const lowest = Math.max(
    1,
    condition.gt === undefined ? 1 : condition.gt + 1,
    condition.gte ?? 1,
    condition.eq ?? 1,
  );
  const highest = Math.min(
    max,
    condition.lt === undefined ? max : condition.lt - 1,
    condition.lte ?? max,
    condition.eq ?? max,
  );
  if (lowest <= highest) return undefined;

  const bounds = Object.entries(condition)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
  if (highest < 1) return `{${bounds}} can never be met: a count is at least 1`;
  if (lowest > max) return `{${bounds}} can never be met: ${maxReason}`;
  return `{${bounds}} can never be met: no count meets all of these bounds`;
}

/**
 * Parses `correlation.condition` for a correlation of `type` over `ruleCount` rules, reporting
 * every problem through `fail`.
 */
export function parseCountCondition(
  value: unknown,
  type: string,
  ruleCount: number,
  fail: Report,
): { condition: CountCondition; field: string | undefined } | undefined {
  const path = ['correlation', 'condition'];
  const temporal = type === 'temporal' || type === 'temporal_ordered';
  if (value === undefined) {
    if (temporal) return { condition: {}, field: undefined };
    fail(path, 'correlation.missing_condition', `${type} needs a condition such as {gte: 10}`);
    return undefined;
  }
  if (!isMap(value)) {
    fail(path, 'correlation.invalid_condition', 'condition must be a map such as {gte: 10}');
    return undefined;
  }

  const condition: CountCondition = {};
  let field: string | undefined;
  let reported = false;
  for (const [key, item] of Object.entries(value)) {
    if (!CONDITION_KEYS.has(key)) {
      fail(
        [...path, key],
        'correlation.unknown_condition',
        `unknown condition "${key}" (use gt, gte, lt, lte, eq)`,
        true,
      );
      reported = true;
      continue;
    }
    if (key === 'field') {
      if (typeof item !== 'string')
        fail([...path, key], 'correlation.invalid_field', 'field must be a field name');
      else field = item;
      continue;
    }
    const bound = readBound(key, item, path, fail);
    if (bound === undefined) reported = true;
    else condition[key as keyof CountCondition] = bound;
  }

  const hasBounds = Object.keys(condition).length > 0;
  if (!hasBounds && !reported && !temporal) {
    fail(path, 'correlation.missing_condition', 'condition needs gt, gte, lt, lte or eq');
  }
  if (hasBounds && !(temporal && ruleCount === 0)) {
    const max = temporal ? ruleCount : Number.POSITIVE_INFINITY;
    const reason = `${type} counts the distinct rules that matched, at most the ${ruleCount} listed`;
    const unmetBounds = unmet(condition, max, reason);
    if (unmetBounds !== undefined) {
      fail(path, 'correlation.unsatisfiable_condition', unmetBounds, true);
    }
  }
  if (type === 'value_count' && field === undefined) {
    fail(
      path,
      'correlation.missing_field',
      'value_count needs condition.field: the field whose values are counted',
    );
  }
  if (type !== 'value_count' && field !== undefined) {
    fail(
      [...path, 'field'],
      'correlation.unexpected_field',
      'condition.field belongs to value_count only',
      true,
    );
  }
  return { condition, field };
}
