/**
 * Translates a loaded Sigma detection rule into one DuckDB predicate over the events table.
 * Each Windows log source mapping that the rule selects gives one alternative: the mapping's
 * own conditions (channel, event id) and the rule's condition with the mapping's field names.
 * The alternatives are joined by OR. Conditions mean what they mean in the engine
 * (src/rules/detection.ts): `all of` nothing holds, `1 of` nothing does not, and `not` of a
 * test on a missing field holds.
 */
import { type ConditionNode, expandPattern } from '../../src/rules/condition.js';
import { type IndexedMapping, mappingsForRule } from '../../src/rules/logsources/mapping.js';
import type { Placeholders } from '../../src/rules/placeholders.js';
import type { Rule, SearchDefinition } from '../../src/rules/rule.js';
import { columnOf, type FieldScope, type FieldUses, translateFieldTest } from './field-test.js';
import { quoteString, UntranslatableError } from './sql-text.js';

export type RuleTranslation =
  | {
      ok: true;
      /** The whole predicate: log source conditions and the rule's condition. */
      sql: string;
      /** The log source conditions alone, which the events of any match meet. */
      logsource: string;
      uses: FieldUses;
    }
  | { ok: false; reason: string };

const PRODUCT = 'windows';
/** Fields that enrichment adds to events (src/enrich): third party, geography, baselines. */
const ENRICHMENT = /^(trust|geo|baseline)\./;

export function translateRule(
  rule: Rule,
  table: readonly IndexedMapping[],
  placeholders: Placeholders,
): RuleTranslation {
  if (rule.kind === 'correlation') return { ok: false, reason: `${rule.type} correlation` };
  if (!rule.emits) return { ok: false, reason: 'used only by a correlation' };
  const mappings = mappingsForRule(rule.logsource, table);
  if (mappings.length === 0) return { ok: false, reason: 'no log source mapping' };
  if (mappings.some((mapping) => mapping.logsource.product.toLowerCase() !== PRODUCT)) {
    return { ok: false, reason: 'not a Windows log source' };
  }

  const uses: FieldUses = new Map();
  const sources: string[] = [];
  try {
    const variants = mappings.map((mapping) => {
      const fields = mapping.fields ?? {};
      const scope: FieldScope = {
        mapField: (name) => fields[name] ?? name,
        placeholders,
        uses,
      };
      const source = mappingCondition(mapping, scope);
      sources.push(source);
      const parts = [source];
      parts.push(
        anyOf(rule.conditions.map((condition) => conditionSql(condition, rule.searches, scope))),
      );
      for (const filter of rule.filters) {
        parts.push(conditionSql(filter.condition, filter.searches, scope));
      }
      return parts.filter((part) => part !== 'TRUE').join(' AND ') || 'TRUE';
    });
    const enrichment = [...uses.keys()].find((field) => ENRICHMENT.test(field));
    if (enrichment !== undefined) {
      return { ok: false, reason: `reads ${enrichment}, which enrichment adds and the logs lack` };
    }
    const sql = anyOf(variants.map((variant) => `(${variant})`));
    return { ok: true, sql, logsource: anyOf(sources.map((source) => `(${source})`)), uses };
  } catch (error) {
    if (error instanceof UntranslatableError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Builds the mapping's `where` conditions: case-insensitive equality with any listed value. */
function mappingCondition(mapping: IndexedMapping, scope: FieldScope): string {
  const where = mapping.where;
  if (!where) return 'TRUE';
  return Object.entries(where)
    .map(([field, values]) => {
      const column = columnOf(scope, field, 'lower');
      const list = values.map((value) => quoteString(String(value).toLowerCase()));
      return list.length === 1 ? `${column} = ${list[0]}` : `${column} IN (${list.join(', ')})`;
    })
    .join(' AND ');
}

function anyOf(items: readonly string[]): string {
  if (items.length === 0) return 'FALSE';
  return items.length === 1 ? (items[0] as string) : `(${items.join(' OR ')})`;
}

function allOf(items: readonly string[]): string {
  if (items.length === 0) return 'TRUE';
  return items.length === 1 ? (items[0] as string) : `(${items.join(' AND ')})`;
}

function searchSql(search: SearchDefinition, scope: FieldScope): string {
  const value = search.value;
  if (Array.isArray(value)) {
    if (!value.every((item) => item !== null && typeof item === 'object' && !Array.isArray(item))) {
      throw new UntranslatableError('keyword search (a list of values without a field)');
    }
    return anyOf(value.map((item) => mapSql(item as Record<string, unknown>, scope)));
  }
  if (value !== null && typeof value === 'object') {
    return mapSql(value as Record<string, unknown>, scope);
  }
  throw new UntranslatableError('keyword search (a value without a field)');
}

function mapSql(map: Record<string, unknown>, scope: FieldScope): string {
  return allOf(Object.entries(map).map(([key, value]) => translateFieldTest(key, value, scope)));
}

function conditionSql(
  node: ConditionNode,
  searches: readonly SearchDefinition[],
  scope: FieldScope,
): string {
  const names = searches.map((search) => search.name);
  const visit = (current: ConditionNode): string => {
    switch (current.kind) {
      case 'ref': {
        const search = searches.find((item) => item.name === current.name);
        return search ? searchSql(search, scope) : 'FALSE';
      }
      case 'not':
        return `NOT coalesce(${visit(current.item)}, FALSE)`;
      case 'and':
        return allOf(current.items.map(visit));
      case 'or':
        return anyOf(current.items.map(visit));
      case 'of': {
        const selected = expandPattern(current.pattern, names).map((name) =>
          visit({ kind: 'ref', name, column: current.column }),
        );
        if (current.count === 'all') return allOf(selected);
        if (current.count === 1) return anyOf(selected);
        if (selected.length === 0) return 'FALSE';
        const sum = selected.map((item) => `CASE WHEN ${item} THEN 1 ELSE 0 END`).join(' + ');
        return `(${sum}) >= ${current.count}`;
      }
    }
  };
  return visit(node);
}
