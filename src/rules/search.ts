import { NetworkSet } from '../context/networks.js';
import { parseAnyTime } from '../model/time.js';
import { type EvalContext, type FieldAccessor, fieldAccessor } from './fields.js';
import { cheapest, patternKey, type Requirement, substringKey } from './index-keys.js';
import { keywordLiteralTest, literalListTest } from './literal-lists.js';
import { MODIFIERS } from './modifiers.js';
import type { Placeholders } from './placeholders.js';
import { requiredLiteral } from './prefilter.js';
import { translateRegex } from './regex.js';
import type { RegexGuard } from './regex-guard.js';
import { bytesAsText, type SigmaValue, TRANSFORMS, valueFromYaml } from './transforms.js';
import {
  compileStringTest,
  hasWildcards,
  type MatchMode,
  parseNumeric,
  type StringTest,
  tokensToText,
} from './values.js';

/**
 * Compiles one `field|modifiers: values` entry of a selection into a matcher. Literal values of
 * the plain comparisons are grouped into one test per field (a set lookup for equality), so a
 * list of fifty executable names costs one lookup, not fifty closures.
 */

export type Matcher = (context: EvalContext) => boolean;

export interface CompiledFieldTest {
  match: Matcher;
  /** Index keys, one of which is true whenever the test passes (see index-keys.ts). */
  requires?: Requirement;
  /** The fields the test reads, set by `compileFieldTest`. */
  reads?: FieldReads;
  /** The test runs an expression under a time budget (rules/regex-guard.ts). */
  timed?: boolean;
}

/**
 * The fields whose values decide a test, as the event names them (after field mapping). Two
 * kinds of test depend on more. `record` is a keyword test, which reads every value of the
 * record and its JSON text. `timed` runs an expression under a time budget, so its verdict on
 * the same values changes once the expression is stopped for its rule.
 */
export type FieldReads = ReadonlySet<string> | 'record' | 'timed';

/** Unites what several tests read. */
export function unionReads(all: readonly FieldReads[]): FieldReads {
  const fields = new Set<string>();
  let timed = false;
  for (const reads of all) {
    if (reads === 'record') return 'record';
    if (reads === 'timed') timed = true;
    else for (const field of reads) fields.add(field);
  }
  return timed ? 'timed' : fields;
}

export interface FieldTestEnv {
  placeholders: Placeholders;
  /** Maps a rule's field name to the event field of the log source (identity if unmapped). */
  mapField(name: string): string;
  /**
   * Runs the expressions that V8 cannot run in linear time under a time budget, counted for
   * `rule`. Without it (checking rules only) they compile as plain expressions.
   */
  regexGuard?: { guard: RegexGuard; rule: string };
  /** Called when such an expression compiles without `regexGuard`, as a plain expression. */
  onUnguarded?: () => void;
}

const COMPARE_MODES: ReadonlySet<string> = new Set(['contains', 'startswith', 'endswith']);
const NUMERIC_COMPARE: ReadonlySet<string> = new Set(['gt', 'gte', 'lt', 'lte']);

/** Parses `field|mod|mod` into the field name and its modifiers, validating each modifier. */
export function parseFieldKey(key: string): {
  field: string;
  modifiers: string[];
  errors: string[];
} {
  const [field = '', ...modifiers] = key.split('|');
  const errors: string[] = [];
  for (const modifier of modifiers) {
    if (!MODIFIERS.has(modifier)) errors.push(`unknown modifier "${modifier}"`);
  }
  return { field, modifiers, errors };
}

/** Compiles a field test; returns an error message when the modifiers or values are invalid. */
export function compileFieldTest(
  key: string,
  raw: unknown,
  env: FieldTestEnv,
): CompiledFieldTest | string {
  const { field, modifiers, errors } = parseFieldKey(key);
  if (errors.length > 0) return errors.join('; ');
  const specs = modifiers.map((name) => MODIFIERS.get(name)!);

  const compares = specs.filter((spec) => spec.kind === 'compare').map((spec) => spec.name);
  const flags = new Set(
    specs
      .filter((spec) => spec.kind !== 'compare' && spec.kind !== 'transform')
      .map((spec) => spec.name),
  );
  const mode = compares.find((name) => COMPARE_MODES.has(name)) as MatchMode | undefined;
  const special = compares.filter((name) => !COMPARE_MODES.has(name));
  if (special.length > 1 || (special.length === 1 && mode && special[0] !== 'fieldref')) {
    return `modifiers ${compares.join(', ')} cannot be combined`;
  }
  if (compares.filter((name) => COMPARE_MODES.has(name)).length > 1) {
    return `modifiers ${compares.join(', ')} cannot be combined`;
  }
  for (const flag of ['i', 'm', 's']) {
    if (flags.has(flag) && special[0] !== 're') return `modifier "${flag}" applies only to |re`;
  }

  const rawValues = Array.isArray(raw) ? raw : [raw];
  if (rawValues.length === 0) return 'an empty list of values matches nothing';
  let values: SigmaValue[] = [];
  for (const item of rawValues) {
    const value = valueFromYaml(item);
    if (typeof value === 'string') return value;
    values.push(value);
  }

  for (const spec of specs) {
    if (spec.kind !== 'transform') continue;
    const transform = TRANSFORMS.get(spec.name);
    if (!transform) return `modifier "${spec.name}" has no implementation`;
    const result = transform(values, env.placeholders);
    if (typeof result === 'string') return result;
    values = result;
  }
  // Only `|expand` with `unresolved: empty` can leave no values: such a value matches nothing.
  if (values.length === 0) return { match: () => false, reads: new Set() };

  const isKeyword = field === '';
  const accessor = isKeyword ? undefined : fieldAccessor(env.mapField(field));
  const named: FieldReads = accessor
    ? new Set([accessor.name, ...(special[0] === 'fieldref' ? referencedFields(values, env) : [])])
    : 'record';
  const all = flags.has('all');
  const cased = flags.has('cased');
  const time = specs.find((spec) => spec.kind === 'time')?.name;

  let test: CompiledFieldTest | string;
  if (special[0] === 'exists') test = existsTest(accessor, values);
  else if (special[0] === 're') test = regexTest(accessor, values, flags, all, env);
  else if (special[0] === 'cidr') test = cidrTest(accessor, values, all);
  else if (special[0] === 'fieldref')
    test = fieldrefTest(accessor, values, env, mode ?? 'equals', cased, all);
  else if (special[0] && NUMERIC_COMPARE.has(special[0]))
    test = numericTest(accessor, values, special[0], all, time);
  else if (time) test = numericTest(accessor, values, 'eq', all, time);
  else test = valueTest(accessor, values, mode ?? (isKeyword ? 'contains' : 'equals'), cased, all);

  if (typeof test === 'string') return test;
  const reads: FieldReads = test.timed && named !== 'record' ? 'timed' : named;
  if (flags.has('neq')) {
    const inner = test.match;
    return { match: (context: EvalContext) => !inner(context), reads };
  }
  return { ...test, reads };
}

/** Returns the fields that `|fieldref` values name, as the event names them. */
function referencedFields(values: readonly SigmaValue[], env: FieldTestEnv): string[] {
  return values
    .filter((value) => value.kind === 'pattern')
    .map((value) => fieldrefName(value, env));
}

function fieldrefName(value: SigmaValue & { kind: 'pattern' }, env: FieldTestEnv): string {
  return env.mapField(
    value.tokens.map((token) => (token.kind === 'text' ? token.text : '')).join(''),
  );
}

function combine(tests: Matcher[], all: boolean): Matcher {
  if (tests.length === 1) return tests[0] as Matcher;
  if (all) {
    return (context) => {
      for (const test of tests) if (!test(context)) return false;
      return true;
    };
  }
  return (context) => tests.some((test) => test(context));
}

function existsTest(
  accessor: FieldAccessor | undefined,
  values: SigmaValue[],
): CompiledFieldTest | string {
  if (!accessor) return '|exists needs a field name';
  const value = values[0];
  if (values.length !== 1 || value?.kind !== 'boolean') return '|exists takes true or false';
  const expected = value.value;
  return { match: (context: EvalContext) => (context.value(accessor) !== undefined) === expected };
}

/** Strings a matcher reads: the field's values, or every value of the record for keywords. */
function stringsFor(accessor: FieldAccessor | undefined, lowered: boolean) {
  if (!accessor) return (context: EvalContext) => context.keywords(lowered);
  return lowered
    ? (context: EvalContext) => context.lowerOf(accessor)
    : (context: EvalContext) => context.stringsOf(accessor);
}

function valueTest(
  accessor: FieldAccessor | undefined,
  values: SigmaValue[],
  mode: MatchMode,
  cased: boolean,
  all: boolean,
): CompiledFieldTest | string {
  const read = stringsFor(accessor, !cased);
  const tests: Matcher[] = [];
  // One requirement per value; undefined marks a value the index cannot use.
  const valueRequirements: (Requirement | undefined)[] = [];
  const equalsLiterals = new Set<string>();
  const numbers: { value: number; text: string }[] = [];
  const literals: string[] = [];
  /** Number of literal characters of each pattern test, to order the tests of `|all`. */
  const weights = new Map<Matcher, number>();

  for (const value of values) {
    valueRequirements.push(accessor ? valueRequirement(accessor.name, value, mode) : undefined);
    if (value.kind === 'null') {
      if (!accessor) return 'a keyword cannot be null';
      tests.push((context) => {
        const found = context.value(accessor);
        return found === undefined || found === null;
      });
      continue;
    }
    if (value.kind === 'boolean') {
      if (!accessor) return 'a keyword cannot be a boolean';
      const expected = value.value;
      tests.push((context) => {
        const found = context.value(accessor);
        if (typeof found === 'boolean') return found === expected;
        return context.lowerOf(accessor).includes(String(expected));
      });
      continue;
    }
    if (value.kind === 'number' && accessor && mode === 'equals' && !all) {
      numbers.push({ value: value.value, text: value.text });
      continue;
    }

    const tokens =
      value.kind === 'pattern'
        ? value.tokens
        : [
            {
              kind: 'text' as const,
              text: value.kind === 'bytes' ? bytesAsText(value.bytes) : value.text,
            },
          ];
    const simple = tokens.length === 1 && tokens[0]?.kind === 'text';
    if (simple && !all) {
      const text = (tokens[0] as { text: string }).text;
      const folded = cased ? text : text.toLowerCase();
      if (mode === 'equals') equalsLiterals.add(folded);
      else literals.push(folded);
      continue;
    }
    const test = anyString(read, compileStringTest(tokens, mode, cased));
    tests.push(test);
    weights.set(test, literalLength(tokens));
  }
  // Every value must match, so the order is free: a longer literal is rarer and fails sooner.
  if (all) tests.sort((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0));

  if (equalsLiterals.size > 0 || numbers.length > 0) {
    tests.push(equalityTest(accessor, read, equalsLiterals, numbers));
  }
  if (literals.length > 0) {
    const keyword = accessor ? undefined : keywordLiteralTest(literals, mode, !cased);
    tests.push(keyword ?? literalListTest(read, literals, mode));
  }

  const compiled: CompiledFieldTest = { match: combine(tests, all) };
  const requires = all ? cheapest(valueRequirements) : unionOfValues(valueRequirements);
  if (requires) compiled.requires = requires;
  return compiled;
}

/** Returns the index key that one value of a field test guarantees, if any. */
function valueRequirement(
  field: string,
  value: SigmaValue,
  mode: MatchMode,
): Requirement | undefined {
  if (value.kind === 'number') {
    return mode === 'equals' ? new Map([[`=${field}`, new Set([value.text])]]) : undefined;
  }
  if (value.kind !== 'pattern' && value.kind !== 'bytes') return undefined;
  const tokens =
    value.kind === 'pattern'
      ? value.tokens
      : [{ kind: 'text' as const, text: bytesAsText(value.bytes) }];
  if (mode === 'equals' && !hasWildcards(tokens)) {
    return new Map([[`=${field}`, new Set([tokensToText(tokens).toLowerCase()])]]);
  }
  const key = patternKey(tokens, mode);
  return key === undefined ? undefined : new Map([[`${key.kind}${field}`, new Set([key.value])]]);
}

/** Any of the values matches: the union, known only when every value has a requirement. */
function unionOfValues(
  requirements: readonly (Requirement | undefined)[],
): Requirement | undefined {
  const result = new Map<string, Set<string>>();
  for (const requirement of requirements) {
    if (!requirement) return undefined;
    for (const [key, values] of requirement) {
      const set = result.get(key) ?? new Set<string>();
      for (const value of values) set.add(value);
      result.set(key, set);
    }
  }
  return result.size > 0 ? result : undefined;
}

/**
 * Equality with literal strings (a set lookup) and numbers; a number in a rule also equals a
 * field that writes it in hexadecimal (`0x3e7` and 999).
 */
function equalityTest(
  accessor: FieldAccessor | undefined,
  read: (context: EvalContext) => readonly string[],
  strings: ReadonlySet<string>,
  numbers: readonly { value: number; text: string }[],
): Matcher {
  const numberTexts = new Set(numbers.map((number) => number.text));
  const numberValues = new Set(numbers.map((number) => number.value));
  return (context) => {
    if (accessor && numberValues.size > 0) {
      const found = context.value(accessor);
      if (typeof found === 'number' && numberValues.has(found)) return true;
    }
    for (const text of read(context)) {
      if (strings.has(text) || numberTexts.has(text)) return true;
      if (numberValues.size > 0) {
        const parsed = parseNumeric(text);
        if (parsed !== undefined && numberValues.has(parsed)) return true;
      }
    }
    return false;
  };
}

/** Returns how many characters a text must contain for the pattern to match, wildcards aside. */
function literalLength(tokens: readonly { kind: string; text?: string }[]): number {
  let length = 0;
  for (const token of tokens) if (token.kind === 'text') length += token.text?.length ?? 0;
  return length;
}

function anyString(read: (context: EvalContext) => readonly string[], test: StringTest): Matcher {
  return (context) => {
    const strings = read(context);
    for (const text of strings) if (test(text)) return true;
    return false;
  };
}

function regexTest(
  accessor: FieldAccessor | undefined,
  values: SigmaValue[],
  flags: ReadonlySet<string>,
  all: boolean,
  env: FieldTestEnv,
): CompiledFieldTest | string {
  const read = stringsFor(accessor, false);
  const tests: Matcher[] = [];
  const valueRequirements: (Requirement | undefined)[] = [];
  let timed = false;
  for (const value of values) {
    if (value.kind !== 'pattern') return '|re needs a string value';
    const source =
      value.raw ?? value.tokens.map((token) => (token.kind === 'text' ? token.text : '')).join('');
    const translated = translateRegex(source, {
      i: flags.has('i'),
      m: flags.has('m'),
      s: flags.has('s'),
    });
    if (typeof translated === 'string') return `regular expression uses ${translated}`;
    // A text without the expression's required literal is skipped before the expression runs.
    const required = requiredLiteral(translated.source, translated.flags);
    valueRequirements.push(accessor ? regexRequirement(accessor.name, translated) : undefined);
    if (!translated.linear && !env.regexGuard) env.onUnguarded?.();
    if (!translated.linear && env.regexGuard) {
      timed = true;
      const { guard, rule } = env.regexGuard;
      const guarded = guard.compile(translated.source, translated.flags, rule);
      const bounds = translated.bounds;
      if (!bounds) {
        tests.push(anyString(read, withRequired(required, guarded)));
        continue;
      }
      const loose = new RegExp(bounds.loose, bounds.flags);
      const tight = bounds.tight === undefined ? undefined : new RegExp(bounds.tight, bounds.flags);
      const bounded = (text: string) => loose.test(text) && (tight?.test(text) || guarded(text));
      tests.push(anyString(read, withRequired(required, bounded)));
      continue;
    }
    const regex = new RegExp(translated.source, translated.flags);
    tests.push(
      anyString(
        read,
        withRequired(required, (text) => regex.test(text)),
      ),
    );
  }
  const compiled: CompiledFieldTest = { match: combine(tests, all) };
  const requires = all ? cheapest(valueRequirements) : unionOfValues(valueRequirements);
  if (requires) compiled.requires = requires;
  if (timed) compiled.timed = true;
  return compiled;
}

/**
 * Returns the substring key (index-keys.ts) of an expression's required literal. The key is
 * lower-cased, and an ASCII literal that matches in either case is in the lower-cased field as
 * the key. So letters folded into classes (`translateRegex`) read as letters here.
 */
function regexRequirement(
  field: string,
  translated: { source: string; flags: string },
): Requirement | undefined {
  const literal = requiredLiteral(translated.source, translated.flags, true);
  const key = literal === undefined ? undefined : substringKey(literal);
  return key === undefined ? undefined : new Map([[`*${field}`, new Set([key])]]);
}

function withRequired(
  required: string | undefined,
  test: (text: string) => boolean,
): (text: string) => boolean {
  if (required === undefined) return test;
  return (text) => text.includes(required) && test(text);
}

function cidrTest(
  accessor: FieldAccessor | undefined,
  values: SigmaValue[],
  all: boolean,
): CompiledFieldTest | string {
  if (!accessor) return '|cidr needs a field name';
  const sets: NetworkSet[] = [];
  for (const value of values) {
    if (value.kind !== 'pattern') return '|cidr needs a network such as 10.0.0.0/8';
    const set = new NetworkSet();
    const text = value.tokens.map((token) => (token.kind === 'text' ? token.text : '')).join('');
    const error = set.add(text);
    if (error) return error;
    sets.push(set);
  }
  const tests = sets.map(
    (set): Matcher =>
      (context) =>
        context.stringsOf(accessor).some((text) => set.has(text)),
  );
  return { match: combine(tests, all) };
}

function fieldrefTest(
  accessor: FieldAccessor | undefined,
  values: SigmaValue[],
  env: FieldTestEnv,
  mode: MatchMode,
  cased: boolean,
  all: boolean,
): CompiledFieldTest | string {
  if (!accessor) return '|fieldref needs a field name';
  const tests: Matcher[] = [];
  for (const value of values) {
    if (value.kind !== 'pattern') return '|fieldref needs a field name as its value';
    const other = fieldAccessor(fieldrefName(value, env));
    tests.push((context) => {
      const left = cased ? context.stringsOf(accessor) : context.lowerOf(accessor);
      const right = cased ? context.stringsOf(other) : context.lowerOf(other);
      for (const a of left) {
        for (const b of right) {
          if (
            mode === 'equals'
              ? a === b
              : mode === 'contains'
                ? a.includes(b)
                : mode === 'startswith'
                  ? a.startsWith(b)
                  : a.endsWith(b)
          ) {
            return true;
          }
        }
      }
      return false;
    });
  }
  return { match: combine(tests, all) };
}

function numericTest(
  accessor: FieldAccessor | undefined,
  values: SigmaValue[],
  operator: string,
  all: boolean,
  time: string | undefined,
): CompiledFieldTest | string {
  if (!accessor) return `|${operator} needs a field name`;
  const tests: Matcher[] = [];
  for (const value of values) {
    const expected =
      value.kind === 'number'
        ? value.value
        : value.kind === 'pattern'
          ? parseNumeric(
              value.tokens.map((token) => (token.kind === 'text' ? token.text : '')).join(''),
            )
          : undefined;
    if (expected === undefined) return `|${time ?? operator} needs a number`;
    const compare = numberComparison(operator, expected);
    tests.push((context) => {
      const found = context.value(accessor);
      const items = Array.isArray(found) ? found : [found];
      for (const item of items) {
        const number = time ? timePart(item, time) : parseNumeric(item);
        if (number !== undefined && compare(number)) return true;
      }
      return false;
    });
  }
  return { match: combine(tests, all) };
}

function numberComparison(operator: string, expected: number): (value: number) => boolean {
  switch (operator) {
    case 'gt':
      return (value) => value > expected;
    case 'gte':
      return (value) => value >= expected;
    case 'lt':
      return (value) => value < expected;
    case 'lte':
      return (value) => value <= expected;
    default:
      return (value) => value === expected;
  }
}

/** Extracts a calendar part (UTC) of a date value for the time modifiers. */
function timePart(value: unknown, part: string): number | undefined {
  const time = parseAnyTime(value);
  if (!Number.isFinite(time)) return undefined;
  const date = new Date(time);
  switch (part) {
    case 'minute':
      return date.getUTCMinutes();
    case 'hour':
      return date.getUTCHours();
    case 'day':
      return date.getUTCDate();
    case 'month':
      return date.getUTCMonth() + 1;
    case 'year':
      return date.getUTCFullYear();
    case 'week':
      return isoWeek(date);
    default:
      return undefined;
  }
}

function isoWeek(date: Date): number {
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = target.getUTCDay() || 7;
  target.setUTCDate(target.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(target.getUTCFullYear(), 0, 1);
  return Math.ceil(((target.getTime() - yearStart) / 86_400_000 + 1) / 7);
}
