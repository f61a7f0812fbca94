/**
 * Translates one `field|modifiers: values` entry of a Sigma selection into a DuckDB predicate
 * that matches as the engine's own matcher does (src/rules/search.ts). Comparison is
 * case-insensitive unless `|cased`, and any value matches unless `|all`. The value transforms
 * (`|base64offset`, `|windash`, `|wide`, `|expand`) run through the engine's own code.
 * Hand-written, because it mirrors this engine's matcher and no package does that.
 */
import { parseNetwork } from '../../src/context/networks.js';
import { MODIFIERS } from '../../src/rules/modifiers.js';
import type { Placeholders } from '../../src/rules/placeholders.js';
import { parseFieldKey } from '../../src/rules/search.js';
import {
  bytesAsText,
  type SigmaValue,
  TRANSFORMS,
  valueFromYaml,
} from '../../src/rules/transforms.js';
import type { Token } from '../../src/rules/values.js';
import {
  lowerTokens,
  type MatchMode,
  patternPredicate,
  quoteIdentifier,
  quoteString,
  UntranslatableError,
} from './sql-text.js';

/** The forms of a field that the query projects: as read, lower-cased, or as an IPv4 number. */
export type ColumnForm = 'raw' | 'lower' | 'ipv4';

/** Field names a translation reads, each with the forms it needs. */
export type FieldUses = Map<string, Set<ColumnForm>>;

/** The scope of a translation: the log source's field names, and the fields read so far. */
export interface FieldScope {
  mapField(name: string): string;
  placeholders: Placeholders;
  uses: FieldUses;
}

/** Returns the column of the events table with `field` in `form`, and records it as used. */
export function columnOf(scope: FieldScope, field: string, form: ColumnForm): string {
  const forms = scope.uses.get(field) ?? new Set<ColumnForm>();
  forms.add(form);
  scope.uses.set(field, forms);
  return columnName(field, form);
}

export function columnName(field: string, form: ColumnForm): string {
  return quoteIdentifier(form === 'raw' ? field : `${field}#${form}`);
}

const COMPARE_MODES: ReadonlySet<string> = new Set(['contains', 'startswith', 'endswith']);
const NUMERIC: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };
const FUNCTIONS = { contains: 'contains', startswith: 'starts_with', endswith: 'ends_with' };

export function translateFieldTest(key: string, raw: unknown, scope: FieldScope): string {
  const { field, modifiers, errors } = parseFieldKey(key);
  if (errors.length > 0) throw new UntranslatableError(errors.join('; '));
  if (field === '') throw new UntranslatableError('keyword search (a value without a field)');
  const specs = modifiers.map((name) => MODIFIERS.get(name)!);
  const time = specs.find((spec) => spec.kind === 'time');
  if (time) throw new UntranslatableError(`date part modifier |${time.name}`);

  let values: SigmaValue[] = [];
  for (const item of Array.isArray(raw) ? raw : [raw]) {
    const value = valueFromYaml(item);
    if (typeof value === 'string') throw new UntranslatableError(value);
    values.push(value);
  }
  for (const spec of specs) {
    if (spec.kind !== 'transform') continue;
    const result = TRANSFORMS.get(spec.name)?.(values, scope.placeholders);
    if (result === undefined || typeof result === 'string') {
      throw new UntranslatableError(result ?? `modifier |${spec.name}`);
    }
    values = result;
  }
  if (values.length === 0) return 'FALSE';

  const names = new Set(modifiers);
  const all = names.has('all');
  const compare = specs.find((spec) => spec.kind === 'compare' && !COMPARE_MODES.has(spec.name));
  const mode = (modifiers.find((name) => COMPARE_MODES.has(name)) ?? 'equals') as MatchMode;
  const target = scope.mapField(field);

  let predicate: string;
  if (compare?.name === 'exists') predicate = existsTest(scope, target, values);
  else if (compare?.name === 're') predicate = regexTest(scope, target, values, names, all);
  else if (compare?.name === 'cidr') predicate = cidrTest(scope, target, values, all);
  else if (compare?.name === 'fieldref')
    predicate = fieldrefTest(scope, target, values, mode, names.has('cased'), all);
  else if (compare && NUMERIC[compare.name])
    predicate = numericTest(scope, target, values, NUMERIC[compare.name] as string, all);
  else predicate = valueTest(scope, target, values, mode, names.has('cased'), all);
  return names.has('neq') ? `NOT coalesce(${predicate}, FALSE)` : predicate;
}

function join(predicates: readonly string[], all: boolean): string {
  if (predicates.length === 1) return predicates[0] as string;
  return `(${predicates.join(all ? ' AND ' : ' OR ')})`;
}

function textOf(value: SigmaValue): string | undefined {
  if (value.kind !== 'pattern') return undefined;
  return value.tokens.map((token) => (token.kind === 'text' ? token.text : '')).join('');
}

function existsTest(scope: FieldScope, field: string, values: SigmaValue[]): string {
  const value = values[0];
  if (values.length !== 1 || value?.kind !== 'boolean') {
    throw new UntranslatableError('|exists takes true or false');
  }
  return `${columnOf(scope, field, 'raw')} IS ${value.value ? 'NOT ' : ''}NULL`;
}

function valueTest(
  scope: FieldScope,
  field: string,
  values: SigmaValue[],
  mode: MatchMode,
  cased: boolean,
  all: boolean,
): string {
  const column = columnOf(scope, field, cased ? 'raw' : 'lower');
  const predicates: string[] = [];
  const equals: string[] = [];
  for (const value of values) {
    if (value.kind === 'null') {
      predicates.push(`${columnOf(scope, field, 'raw')} IS NULL`);
      continue;
    }
    if (value.kind === 'boolean') {
      predicates.push(`${columnOf(scope, field, 'lower')} = '${value.value}'`);
      continue;
    }
    let tokens: Token[];
    if (value.kind === 'pattern') tokens = value.tokens;
    else if (value.kind === 'bytes') tokens = [{ kind: 'text', text: bytesAsText(value.bytes) }];
    else tokens = [{ kind: 'text', text: value.text }];
    if (!cased) tokens = lowerTokens(tokens);

    const only = tokens[0];
    if (mode === 'equals' && !all && tokens.length === 1 && only?.kind === 'text') {
      equals.push(quoteString(only.text));
      continue;
    }
    predicates.push(patternPredicate(column, tokens, mode));
  }
  if (equals.length === 1) predicates.push(`${column} = ${equals[0]}`);
  else if (equals.length > 1) predicates.push(`${column} IN (${equals.join(', ')})`);
  return join(predicates, all);
}

function regexTest(
  scope: FieldScope,
  field: string,
  values: SigmaValue[],
  names: ReadonlySet<string>,
  all: boolean,
): string {
  const column = columnOf(scope, field, 'raw');
  const flags = ['i', 'm', 's'].filter((flag) => names.has(flag)).join('');
  const predicates = values.map((value) => {
    if (value.kind !== 'pattern') throw new UntranslatableError('|re needs a string value');
    const source = value.raw ?? textOf(value) ?? '';
    return `regexp_matches(${column}, ${quoteString(flags ? `(?${flags})${source}` : source)})`;
  });
  return join(predicates, all);
}

/** Translates IPv4 networks to ranges of the address's number; IPv6 text forms vary too much. */
function cidrTest(scope: FieldScope, field: string, values: SigmaValue[], all: boolean): string {
  const column = columnOf(scope, field, 'ipv4');
  const predicates = values.map((value) => {
    const network = parseNetwork(textOf(value) ?? '');
    if (typeof network === 'string') throw new UntranslatableError(network);
    if (network.family !== 'ipv4') throw new UntranslatableError('an IPv6 network in |cidr');
    const octets = network.address.split('.').map(Number);
    const base = octets.reduce((sum, octet) => sum * 256 + octet, 0);
    const size = 2 ** (32 - network.prefix);
    const low = Math.floor(base / size) * size;
    return `${column} BETWEEN ${low} AND ${low + size - 1}`;
  });
  return join(predicates, all);
}

function fieldrefTest(
  scope: FieldScope,
  field: string,
  values: SigmaValue[],
  mode: MatchMode,
  cased: boolean,
  all: boolean,
): string {
  const form = cased ? 'raw' : 'lower';
  const left = columnOf(scope, field, form);
  const predicates = values.map((value) => {
    const other = textOf(value);
    if (other === undefined) throw new UntranslatableError('|fieldref needs a field name');
    const right = columnOf(scope, scope.mapField(other), form);
    if (mode === 'equals') return `${left} = ${right}`;
    return `${FUNCTIONS[mode]}(${left}, ${right})`;
  });
  return join(predicates, all);
}

function numericTest(
  scope: FieldScope,
  field: string,
  values: SigmaValue[],
  operator: string,
  all: boolean,
): string {
  const column = columnOf(scope, field, 'raw');
  const predicates = values.map((value) => {
    const number = value.kind === 'number' ? value.value : Number(textOf(value));
    if (!Number.isFinite(number))
      throw new UntranslatableError('a numeric comparison needs a number');
    return `TRY_CAST(${column} AS DOUBLE) ${operator} ${number}`;
  });
  return join(predicates, all);
}
