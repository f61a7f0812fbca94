import type { Problem } from '../model/problem.js';
import type { CorrelationRule, Rule } from './rule.js';

/**
 * Correlations that refer to each other in a cycle, or to themselves. Such a correlation waits
 * for its own results, so it can never fire, and loading it silently would hide that.
 */

type Resolve = (reference: string) => Rule | undefined;

function references(rule: CorrelationRule, resolve: Resolve): CorrelationRule[] {
  const targets = rule.rules.map(resolve);
  return targets.filter((target): target is CorrelationRule => target?.kind === 'correlation');
}

/**
 * Returns each correlation in a reference cycle with its problem, which names a cycle through
 * that rule, and the rule it refers to next on that cycle (itself for a rule that refers to
 * itself).
 */
export function referenceCycleProblems(
  rules: readonly Rule[],
  resolve: Resolve,
): { rule: CorrelationRule; next: CorrelationRule; problem: Problem }[] {
  const correlations = rules.filter((rule): rule is CorrelationRule => rule.kind === 'correlation');
  const problems: { rule: CorrelationRule; next: CorrelationRule; problem: Problem }[] = [];
  for (const rule of correlations) {
    const cycle = cycleThrough(rule, resolve);
    if (cycle === undefined) continue;
    const names = [...cycle, rule].map((member) => member.meta.name ?? member.meta.id);
    const problem: Problem = {
      code: 'correlation.reference_cycle',
      severity: 'error',
      message: `correlation "${rule.meta.title}" refers to itself through ${names.join(' → ')}, so it can never fire and is not loaded`,
      location: rule.meta.location,
    };
    problems.push({ rule, next: cycle[1] ?? rule, problem });
  }
  return problems;
}

/**
 * Finds a path of references from `start` back to itself, breadth first so that the shortest
 * cycle is named. Returns the rules on it, `start` first, or undefined when there is none.
 */
function cycleThrough(start: CorrelationRule, resolve: Resolve): CorrelationRule[] | undefined {
  const previous = new Map<CorrelationRule, CorrelationRule>();
  const queue: CorrelationRule[] = [start];
  for (let index = 0; index < queue.length; index++) {
    const rule = queue[index] as CorrelationRule;
    for (const target of references(rule, resolve)) {
      if (target === start) return pathTo(rule, start, previous);
      if (previous.has(target)) continue;
      previous.set(target, rule);
      queue.push(target);
    }
  }
  return undefined;
}

function pathTo(
  end: CorrelationRule,
  start: CorrelationRule,
  previous: ReadonlyMap<CorrelationRule, CorrelationRule>,
): CorrelationRule[] {
  const path = [end];
  for (let rule = end; rule !== start; ) {
    rule = previous.get(rule) as CorrelationRule;
    path.unshift(rule);
  }
  return path;
}
