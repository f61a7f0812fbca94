import type { CorrelationRule, CountCondition } from '../../rules/rule.js';
import type { CorrelationInput } from '../finding.js';

/** Group keys of Sigma correlations, with field aliases resolved per referenced rule. */

export interface GroupKey {
  key: string;
  values: Record<string, string>;
}

export function groupKey(rule: CorrelationRule, input: CorrelationInput): GroupKey {
  const values: Record<string, string> = {};
  for (const name of rule.groupBy) {
    const alias = rule.aliases[name];
    let field = name;
    if (alias) {
      for (const ref of input.rules) {
        const mapped = (ref.name !== undefined ? alias[ref.name] : undefined) ?? alias[ref.id];
        if (mapped !== undefined) {
          field = mapped;
          break;
        }
      }
    }
    values[name] = stringValue(input.get(field));
  }
  return { key: JSON.stringify(rule.groupBy.map((name) => values[name])), values };
}

export function stringValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(stringValue).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function satisfies(condition: CountCondition, count: number): boolean {
  if (condition.gt !== undefined && !(count > condition.gt)) return false;
  if (condition.gte !== undefined && !(count >= condition.gte)) return false;
  if (condition.lt !== undefined && !(count < condition.lt)) return false;
  if (condition.lte !== undefined && !(count <= condition.lte)) return false;
  if (condition.eq !== undefined && count !== condition.eq) return false;
  return true;
}

/** A condition with an upper bound can only be judged when its window has closed. */
export function hasUpperBound(condition: CountCondition): boolean {
  return condition.lt !== undefined || condition.lte !== undefined || condition.eq !== undefined;
}

/** The party and actor shared by all inputs, or undefined when they differ. */
export function common<T>(values: readonly (T | undefined)[]): T | undefined {
  const first = values[0];
  return values.every((value) => value === first) ? first : undefined;
}
