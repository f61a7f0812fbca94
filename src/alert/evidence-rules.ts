import type { EvidenceRule } from '../model/alert.js';
import type { ChainMember, DetectionRule, Rule } from '../rules/rule.js';

/**
 * The `rules` part of an evidence item: which of the rules that the alert's rule uses a record
 * matched, with each rule's place in the correlation's `rules` list. A correlation used by
 * another one lists, in turn, the rules the record matched inside it.
 */

/** Finds a loaded rule by the id or name a correlation uses to refer to it. */
export type RuleLookup = (reference: string) => Rule | undefined;

/** Maximum depth of correlations using correlations that is followed. Loading rejects cycles. */
const MAX_NESTING = 16;

/** Builds a lookup by id and name; an id wins over another rule's equal name. */
export function ruleLookup(rules: readonly Rule[]): RuleLookup {
  const byName = new Map<string, Rule>();
  const byId = new Map<string, Rule>();
  for (const rule of rules) {
    byId.set(rule.meta.id, rule);
    if (rule.meta.name !== undefined) byName.set(rule.meta.name, rule);
  }
  return (reference) => byId.get(reference) ?? byName.get(reference);
}

/**
 * Lists the rules that a record of step `step` of an alert of `rule` matched, given the
 * detection rules the record matched.
 */
export function evidenceRules(
  rule: Rule,
  step: number,
  matched: readonly DetectionRule[],
  lookup: RuleLookup,
): EvidenceRule[] {
  if (rule.kind === 'detection') return matched.includes(rule) ? [describe(rule)] : [];

  if (rule.type === 'chain') {
    const chainStep = rule.steps[step - 1];
    return chainStep ? matchedDetections(chainStep.members, matched, lookup).map(describe) : [];
  }

  // A temporal correlation's steps are the places of its rules; count correlations have one.
  const temporal = rule.type === 'temporal' || rule.type === 'temporal_ordered';
  const place = step - 1;
  const places = temporal && place < rule.rules.length ? [place] : rule.rules.keys();
  return usedRules(rule, [...places], matched, lookup, 0);
}

/** Lists the referenced rules at `places` of a Sigma correlation that the record matched. */
function usedRules(
  rule: Rule,
  places: readonly number[],
  matched: readonly DetectionRule[],
  lookup: RuleLookup,
  depth: number,
): EvidenceRule[] {
  if (rule.kind !== 'correlation') return [];
  const found: EvidenceRule[] = [];
  const seen = new Set<Rule>();
  for (const place of places) {
    const target = lookup(rule.rules[place] ?? '');
    if (!target || seen.has(target)) continue;
    seen.add(target);
    const inner = inside(target, matched, lookup, depth + 1);
    if (inner === undefined) continue;
    const item: EvidenceRule = { ...describe(target), position: place + 1 };
    if (target.kind === 'correlation') item.rules = inner;
    found.push(item);
  }
  return found;
}

/**
 * Returns what the record matched inside `target`: an empty list for a detection rule it
 * matched, the inner rules for a correlation, or undefined when it matched nothing there.
 */
function inside(
  target: Rule,
  matched: readonly DetectionRule[],
  lookup: RuleLookup,
  depth: number,
): EvidenceRule[] | undefined {
  if (target.kind === 'detection') return matched.includes(target) ? [] : undefined;
  if (depth > MAX_NESTING) return undefined;
  if (target.type === 'chain') {
    const members = target.steps.flatMap((chainStep) => chainStep.members);
    const rules = matchedDetections(members, matched, lookup).map(describe);
    return rules.length > 0 ? rules : undefined;
  }
  const rules = usedRules(target, [...target.rules.keys()], matched, lookup, depth);
  return rules.length > 0 ? rules : undefined;
}

/** Lists the detection rules that chain members refer to and the record matched. */
function matchedDetections(
  members: readonly ChainMember[],
  matched: readonly DetectionRule[],
  lookup: RuleLookup,
): DetectionRule[] {
  const found = new Set<DetectionRule>();
  for (const reference of members.flatMap((member) => member.rules)) {
    const target = lookup(reference);
    if (target?.kind === 'detection' && matched.includes(target)) found.add(target);
  }
  return [...found];
}

function describe(rule: Rule): EvidenceRule {
  return { id: rule.meta.id, title: rule.meta.title, name: rule.meta.name ?? null };
}

/** Picks the matched detection rules at the leaves of an evidence rule list. */
export function detectionLeaves(
  rules: readonly EvidenceRule[],
  matched: readonly DetectionRule[],
): DetectionRule[] {
  const ids = new Set<string>();
  const collect = (items: readonly EvidenceRule[]): void => {
    for (const item of items) {
      if (item.rules === undefined) ids.add(item.id);
      else collect(item.rules);
    }
  };
  collect(rules);
  return matched.filter((rule) => ids.has(rule.meta.id));
}
