import type { Rule } from './rule.js';

/**
 * Rule selection for a hunt: a minimum level, statuses, tags and rule ids. A correlation that is
 * selected keeps the rules it refers to, which then raise alerts of their own only when they
 * are selected too and the correlation's `generate` allows it.
 */

export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;

/** The Sigma rule statuses, and `unknown` for a rule without one. */
export const STATUSES = [
  'stable',
  'test',
  'experimental',
  'deprecated',
  'unsupported',
  'unknown',
] as const;

export interface RuleSelection {
  /** Lowest level kept. */
  minLevel?: (typeof LEVELS)[number];
  /** Statuses kept (rules without a status count as `unknown`). */
  statuses?: readonly string[];
  /** Tags, one of which a rule must carry; `attack.t1059*` matches by prefix. */
  tags?: readonly string[];
  /** Rule ids or names kept. */
  ids?: readonly string[];
}

function selected(rule: Rule, selection: RuleSelection): boolean {
  const meta = rule.meta;
  if (selection.minLevel !== undefined) {
    const level = LEVELS.indexOf(meta.level as (typeof LEVELS)[number]);
    if (level < LEVELS.indexOf(selection.minLevel)) return false;
  }
  if (selection.statuses && selection.statuses.length > 0) {
    const status = (meta.status ?? 'unknown').toLowerCase();
    if (!selection.statuses.some((wanted) => wanted.toLowerCase() === status)) return false;
  }
  if (selection.tags && selection.tags.length > 0) {
    const tags = meta.tags.map((tag) => tag.toLowerCase());
    const matches = (pattern: string): boolean => {
      const lower = pattern.toLowerCase();
      if (lower.endsWith('*')) return tags.some((tag) => tag.startsWith(lower.slice(0, -1)));
      return tags.includes(lower);
    };
    if (!selection.tags.some(matches)) return false;
  }
  if (selection.ids && selection.ids.length > 0) {
    const ids = new Set(selection.ids.map((id) => id.toLowerCase()));
    if (!ids.has(meta.id.toLowerCase()) && !(meta.name && ids.has(meta.name.toLowerCase())))
      return false;
  }
  return true;
}

/** Keeps the selected rules and what selected correlations need; the others are left out. */
export function selectRules(rules: readonly Rule[], selection: RuleSelection): Rule[] {
  const chosen = new Set(rules.filter((rule) => selected(rule, selection)));
  const byReference = new Map<string, Rule>();
  for (const rule of rules) {
    byReference.set(rule.meta.id, rule);
    if (rule.meta.name) byReference.set(rule.meta.name, rule);
  }

  const needed = new Set<Rule>();
  const generated = new Set<Rule>();
  for (const rule of chosen) {
    if (rule.kind !== 'correlation') continue;
    for (const reference of rule.rules) {
      const target = byReference.get(reference);
      if (!target) continue;
      needed.add(target);
      if (rule.generate) generated.add(target);
    }
  }

  const result = rules.filter((rule) => chosen.has(rule) || needed.has(rule));
  for (const rule of result) {
    if (rule.kind !== 'detection') continue;
    rule.emits = chosen.has(rule) && (!needed.has(rule) || generated.has(rule));
  }
  return result;
}
