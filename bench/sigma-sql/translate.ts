/**
 * Translates a rule set for DuckDB and keeps, for each rule left out, the reason. DuckDB
 * identifiers are case-insensitive, so `Payload` and `payload` cannot both be columns: the
 * spelling most rules use wins, and a rule with another spelling is left out. (The engine looks
 * fields up case-sensitively, so such a rule rarely matches there either.)
 */
import type { IndexedMapping } from '../../src/rules/logsources/mapping.js';
import type { Placeholders } from '../../src/rules/placeholders.js';
import type { DetectionRule, Rule } from '../../src/rules/rule.js';
import type { FieldUses } from './field-test.js';
import { translateRule } from './rule.js';

export interface TranslatedRule {
  rule: DetectionRule;
  /** Column of the rule's count in the query results. */
  alias: string;
  sql: string;
  /** The rule's log source conditions; rules with the same ones are counted in one query. */
  logsource: string;
  uses: FieldUses;
}

export interface Translation {
  translated: TranslatedRule[];
  skipped: { rule: Rule; reason: string }[];
}

/**
 * Fields that the windows-flat source adds from others (src/sources/windows/windows-flat.ts):
 * the standard Windows name is read from the NXLog name when the record has no value of its own.
 */
export const DERIVED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Computer: ['Computer', 'Hostname'],
  Provider_Name: ['Provider_Name', 'SourceName', 'ProviderName', 'EventSourceName'],
  EventRecordID: ['EventRecordID', 'RecordNumber'],
};

/** Returns the JSON keys a field is read from. */
export function jsonKeys(field: string): readonly string[] {
  return DERIVED_FIELDS[field] ?? [field];
}

export function translateRules(
  rules: readonly Rule[],
  table: readonly IndexedMapping[],
  placeholders: Placeholders,
): Translation {
  const result: Translation = { translated: [], skipped: [] };
  const candidates: (Omit<TranslatedRule, 'alias'> & { keys: string[] })[] = [];
  const counts = new Map<string, number>();
  for (const rule of rules) {
    const translation = translateRule(rule, table, placeholders);
    if (!translation.ok) {
      result.skipped.push({ rule, reason: translation.reason });
      continue;
    }
    const keys = [...new Set([...translation.uses.keys()].flatMap(jsonKeys))];
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    const { sql, logsource, uses } = translation;
    candidates.push({ rule: rule as DetectionRule, sql, logsource, uses, keys });
  }

  const spelling = new Map<string, string>();
  for (const [key, count] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) {
    const chosen = spelling.get(key.toLowerCase());
    if (chosen === undefined || (counts.get(chosen) ?? 0) < count) {
      spelling.set(key.toLowerCase(), key);
    }
  }
  for (const { keys, ...candidate } of candidates) {
    const clash = keys.find((key) => spelling.get(key.toLowerCase()) !== key);
    if (clash !== undefined) {
      const other = spelling.get(clash.toLowerCase());
      const reason = `field ${clash} differs only in case from ${other}`;
      result.skipped.push({ rule: candidate.rule, reason });
      continue;
    }
    result.translated.push({ ...candidate, alias: `r${result.translated.length}` });
  }
  return result;
}
