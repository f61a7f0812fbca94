import type { ChainMember, DetectionRule } from './rule.js';

import { compileTemplate } from './templates.js';

/** Field names a rule reads, for showing the values that made a record count. */

const cache = new WeakMap<object, string[]>();

export function detectionFields(rule: DetectionRule): string[] {
  const cached = cache.get(rule);
  if (cached) return cached;
  const fields = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const key of Object.keys(value)) {
      const field = key.split('|')[0];
      if (field) fields.add(field);
    }
  };
  for (const search of rule.searches) visit(search.value);
  const list = [...fields];
  cache.set(rule, list);
  return list;
}

/** Fields the link, provide and actor templates of a chain member read. */
export function memberTemplateFields(member: ChainMember): string[] {
  const cached = cache.get(member);
  if (cached) return cached;
  const fields = new Set<string>();
  const templates = [
    ...Object.values(member.links).flat(),
    ...Object.values(member.provides).flat(),
    ...(member.actor ? [member.actor] : []),
  ];
  for (const text of templates) {
    const compiled = compileTemplate(text);
    if (typeof compiled !== 'string') for (const field of compiled.fields) fields.add(field);
  }
  const list = [...fields];
  cache.set(member, list);
  return list;
}
