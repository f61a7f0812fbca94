import type { LocatedText } from '../context/yaml-view.js';
import type { LogSource } from '../model/event.js';
import type { Problem } from '../model/problem.js';
import type { DetectionRule, FilterRule, Rule } from './rule.js';

/**
 * Applies Sigma filters (filters specification v2) to the detection rules they name. A filter
 * applies to a rule when the rule's log source has every key the filter's log source names,
 * with the same value, and the rule is named by id or name in `filter.rules` (or the filter
 * names `any`). Correlation rules are never filtered directly: they see the filtered matches of
 * the rules they count. A problem with a rule that a filter names is placed where `locate` finds
 * the name in the filter's document, or at the filter's start.
 */
export function applyFilters(
  filters: readonly FilterRule[],
  rules: readonly Rule[],
  locate: (filter: FilterRule, reference: string) => LocatedText | undefined = () => undefined,
): { filter: FilterRule; problem: Problem }[] {
  const problems: { filter: FilterRule; problem: Problem }[] = [];
  const detections = rules.filter((rule): rule is DetectionRule => rule.kind === 'detection');
  const byReference = new Map<string, DetectionRule>();
  for (const rule of detections) {
    byReference.set(rule.meta.id, rule);
    if (rule.meta.name) byReference.set(rule.meta.name, rule);
  }

  for (const filter of filters) {
    if (filter.targets === 'any') {
      for (const rule of detections)
        if (logsourceWithin(rule.logsource, filter.logsource)) rule.filters.push(filter);
      continue;
    }
    for (const reference of filter.targets) {
      const rule = byReference.get(reference);
      const at = locate(filter, reference) ?? { location: filter.meta.location };
      if (!rule) {
        const problem: Problem = {
          code: 'filter.unknown_rule',
          severity: 'warning',
          message: `filter "${filter.meta.title}" names rule "${reference}", which is not loaded`,
          ...at,
        };
        problems.push({ filter, problem });
        continue;
      }
      if (!logsourceWithin(rule.logsource, filter.logsource)) {
        const problem: Problem = {
          code: 'filter.logsource_mismatch',
          severity: 'warning',
          message: `filter "${filter.meta.title}" is not applied to rule "${reference}" because the rule's log source ${describe(rule.logsource)} is not within the filter's ${describe(filter.logsource)}`,
          ...at,
        };
        problems.push({ filter, problem });
        continue;
      }
      rule.filters.push(filter);
    }
  }
  return problems;
}

/** True when the rule's log source has every key of the filter's, with equal values. */
function logsourceWithin(rule: LogSource, filter: LogSource): boolean {
  for (const key of ['product', 'service', 'category'] as const) {
    const expected = filter[key];
    if (expected !== undefined && rule[key]?.toLowerCase() !== expected.toLowerCase()) return false;
  }
  return true;
}

function describe(logsource: LogSource): string {
  return Object.entries(logsource)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}
