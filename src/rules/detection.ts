import type { Problem } from '../model/problem.js';
import { type ConditionNode, expandPattern } from './condition.js';
import type { EvalContext } from './fields.js';
import {
  allEqualities,
  anyEqualities,
  cheapest,
  type Equalities,
  equalitiesOf,
  type Requirement,
  union,
} from './index-keys.js';
import type { DetectionRule, FilterRule, SearchDefinition } from './rule.js';
import {
  compileFieldTest,
  type FieldReads,
  type FieldTestEnv,
  type Matcher,
  unionReads,
} from './search.js';

/**
 * Compiles a detection rule's searches and condition into one matcher, and works out its index
 * keys (index-keys.ts), one of which is true for every match. A rule that needs
 * `EventID: 4624` is only shown Windows events with that id. A rule that needs
 * `Image|endswith: '\sc.exe'` is only shown events whose Image has the word `sc`.
 */

export interface CompiledDetection {
  match: Matcher;
  /** Index keys of which one holds for any match; empty when none is known. */
  requires: Requirement;
  /** Fields whose values every match has one of (index-keys.ts); absent when none is known. */
  equalities?: Equalities;
  /** What the rule reads, its filters included: its verdict on an event depends on nothing else. */
  reads: FieldReads;
}

export interface DetectionProblem {
  path: (string | number)[];
  code: string;
  message: string;
  /** The problem is about the key (field and modifiers), not its value. */
  onKey?: boolean;
}

/** One search identifier compiled: its matcher and its index keys. */
export interface CompiledSearch {
  match: Matcher;
  requires: Requirement;
  equalities?: Equalities;
  /** Set on a search as its definition compiles, not on the nodes of a condition. */
  reads?: FieldReads;
}

/**
 * Hooks through which compiles of one rule share its searches: `keep` receives each search
 * compiled with the fields it read, and `reuse` returns a compile to take instead of compiling
 * a search again.
 */
export interface SearchSharing {
  reuse?(search: SearchDefinition): CompiledSearch | undefined;
  keep?(search: SearchDefinition, compiled: CompiledSearch, fields: readonly string[]): void;
}

const ALWAYS: Matcher = () => true;
const NEVER: Matcher = () => false;

export function compileDetection(
  rule: DetectionRule,
  env: FieldTestEnv,
  problems: DetectionProblem[],
  sharing?: SearchSharing,
): CompiledDetection | undefined {
  const searches = new Map<string, CompiledSearch>();
  for (const search of rule.searches) {
    const compiled = compileSharedSearch(search, env, problems, sharing);
    if (compiled) searches.set(search.name, compiled);
  }
  if (problems.length > 0) return undefined;

  const names = rule.searches.map((search) => search.name);
  const compiled = rule.conditions.map((condition) => compileCondition(condition, searches, names));
  const detection: CompiledSearch =
    compiled.length === 1
      ? (compiled[0] as CompiledSearch)
      : {
          match: (context) => compiled.some((item) => item.match(context)),
          requires: unionOf(compiled.map((item) => item.requires)),
          equalities: anyEqualities(compiled.map((item) => item.equalities)),
        };
  const reads = readsOf(searches.values());
  if (rule.filters.length === 0) return { ...detection, reads };

  // A filter only narrows the rule, so the rule's requirements for the index still hold.
  const filters: CompiledFilter[] = [];
  for (const filter of rule.filters) {
    const compiledFilter = compileFilter(filter, env, problems);
    if (compiledFilter) filters.push(compiledFilter);
  }
  if (problems.length > 0) return undefined;
  const base = detection.match;
  const matchers = filters.map((filter) => filter.match);
  return {
    match: (context) => {
      if (!base(context)) return false;
      for (const filter of matchers) if (!filter(context)) return false;
      return true;
    },
    requires: detection.requires,
    equalities: detection.equalities,
    reads: unionReads([reads, ...filters.map((filter) => filter.reads)]),
  };
}

/** Returns the fields that a set of compiled searches reads together. */
function readsOf(searches: Iterable<CompiledSearch>): FieldReads {
  return unionReads([...searches].map((search) => search.reads ?? NO_READS));
}

const NO_READS: FieldReads = new Set();

/** A Sigma filter compiled: the matcher a filtered rule must also pass, and what it reads. */
export interface CompiledFilter {
  match: Matcher;
  reads: FieldReads;
}

/** Compiles a filter's searches and condition into the matcher a filtered rule must also pass. */
export function compileFilter(
  filter: FilterRule,
  env: FieldTestEnv,
  problems: DetectionProblem[],
): CompiledFilter | undefined {
  const searches = new Map<string, CompiledSearch>();
  for (const search of filter.searches) {
    const compiled = compileSearch(search, env, problems);
    if (compiled) searches.set(search.name, compiled);
  }
  if (problems.length > 0) return undefined;
  const names = filter.searches.map((search) => search.name);
  const match = compileCondition(filter.condition, searches, names).match;
  return { match, reads: readsOf(searches.values()) };
}

/**
 * Compiles each search alone, to report the value problems of a rule that failed to parse
 * elsewhere (its condition, level or log source), so that one run lists them all.
 */
export function checkSearches(
  searches: readonly SearchDefinition[],
  env: FieldTestEnv,
  problems: DetectionProblem[],
): void {
  for (const search of searches) compileSearch(search, env, problems);
}

/**
 * Compiles a search, or takes the compile that `sharing` offers. To keep a compile, it records
 * the fields the search reads, and keeps none whose expressions compiled without a time budget.
 */
function compileSharedSearch(
  search: SearchDefinition,
  env: FieldTestEnv,
  problems: DetectionProblem[],
  sharing: SearchSharing | undefined,
): CompiledSearch | undefined {
  const reused = sharing?.reuse?.(search);
  if (reused) return reused;
  if (!sharing?.keep) return compileSearch(search, env, problems);

  const fields: string[] = [];
  let unguarded = false;
  const recording: FieldTestEnv = {
    ...env,
    mapField: (name) => {
      fields.push(name);
      return env.mapField(name);
    },
    onUnguarded: () => {
      unguarded = true;
      env.onUnguarded?.();
    },
  };
  const compiled = compileSearch(search, recording, problems);
  if (compiled && !unguarded) sharing.keep(search, compiled, fields);
  return compiled;
}

function compileSearch(
  search: SearchDefinition,
  env: FieldTestEnv,
  problems: DetectionProblem[],
): CompiledSearch | undefined {
  const value = search.value;

  if (Array.isArray(value)) {
    if (value.length === 0) {
      problems.push({
        path: search.path,
        code: 'rule.empty_search',
        message: `search "${search.name}" is an empty list`,
      });
      return undefined;
    }
    if (value.every((item) => item !== null && typeof item === 'object' && !Array.isArray(item))) {
      const alternatives = value
        .map((item, index) =>
          compileMap(item as Record<string, unknown>, [...search.path, index], env, problems),
        )
        .filter((item): item is CompiledSearch => item !== undefined);
      if (alternatives.length !== value.length) return undefined;
      return {
        match: (context) => alternatives.some((item) => item.match(context)),
        requires: unionOf(alternatives.map((item) => item.requires)),
        equalities: anyEqualities(alternatives.map((item) => item.equalities)),
        reads: readsOf(alternatives),
      };
    }
    if (value.some((item) => item !== null && typeof item === 'object')) {
      problems.push({
        path: search.path,
        code: 'rule.mixed_search',
        message: `search "${search.name}" mixes maps and plain values in one list`,
      });
      return undefined;
    }
    return compileKeywords('', value, search.path, env, problems);
  }

  if (value !== null && typeof value === 'object') {
    return compileMap(value as Record<string, unknown>, search.path, env, problems);
  }
  if (typeof value === 'string' || typeof value === 'number') {
    return compileKeywords('', [value], search.path, env, problems);
  }
  problems.push({
    path: search.path,
    code: 'rule.invalid_search',
    message: `search "${search.name}" must be a map, a list of maps or a list of keywords`,
  });
  return undefined;
}

function compileKeywords(
  key: string,
  values: unknown[],
  path: (string | number)[],
  env: FieldTestEnv,
  problems: DetectionProblem[],
): CompiledSearch | undefined {
  const test = compileFieldTest(key, values, env);
  if (typeof test === 'string') {
    problems.push({ path, code: 'rule.invalid_value', message: test });
    return undefined;
  }
  return { match: test.match, requires: new Map(), reads: test.reads ?? 'record' };
}

function compileMap(
  map: Record<string, unknown>,
  path: (string | number)[],
  env: FieldTestEnv,
  problems: DetectionProblem[],
): CompiledSearch | undefined {
  const tests: Matcher[] = [];
  const fieldRequirements: Requirement[] = [];
  const fieldReads: FieldReads[] = [];
  let failed = false;

  for (const [key, value] of Object.entries(map)) {
    if (Array.isArray(value) && value.some((item) => item !== null && typeof item === 'object')) {
      problems.push({
        path: [...path, key],
        code: 'rule.invalid_value',
        message: `values of "${key}" must be scalars`,
      });
      failed = true;
      continue;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      problems.push({
        path: [...path, key],
        code: 'rule.invalid_value',
        message: `value of "${key}" is a map; expected a scalar or a list`,
      });
      failed = true;
      continue;
    }
    const test = compileFieldTest(key, value, env);
    if (typeof test === 'string') {
      const code = test.startsWith('unknown modifier')
        ? 'rule.unknown_modifier'
        : test.startsWith('placeholder')
          ? 'rule.placeholder_undefined'
          : test.startsWith('regular expression')
            ? 'rule.unsupported_regex'
            : 'rule.invalid_value';
      problems.push({
        path: [...path, key],
        code,
        message: `${key}: ${test}`,
        onKey: code === 'rule.unknown_modifier',
      });
      failed = true;
      continue;
    }
    tests.push(test.match);
    if (test.requires) fieldRequirements.push(test.requires);
    fieldReads.push(test.reads ?? 'record');
  }
  if (failed) return undefined;
  // Every field test of a map must pass, so the cheapest requirement of any of them holds.
  const requires: Requirement = cheapest(fieldRequirements) ?? new Map();
  const equalities = allEqualities(fieldRequirements.map(equalitiesOf));
  const reads = unionReads(fieldReads);
  if (tests.length === 0) return { match: ALWAYS, requires, reads };
  if (tests.length === 1) return { match: tests[0] as Matcher, requires, equalities, reads };
  return {
    match: (context: EvalContext) => {
      for (const test of tests) if (!test(context)) return false;
      return true;
    },
    requires,
    equalities,
    reads,
  };
}

/** Unites the requirements of alternatives (an OR); empty unless each has one. */
function unionOf(all: Requirement[]): Requirement {
  return union(all) ?? new Map();
}

function compileCondition(
  node: ConditionNode,
  searches: ReadonlyMap<string, CompiledSearch>,
  names: readonly string[],
): CompiledSearch {
  switch (node.kind) {
    case 'ref': {
      return searches.get(node.name) ?? { match: NEVER, requires: new Map() };
    }
    case 'not': {
      const inner = compileCondition(node.item, searches, names).match;
      return { match: (context) => !inner(context), requires: new Map() };
    }
    case 'and': {
      const items = node.items.map((item) => compileCondition(item, searches, names));
      const requires = cheapest(items.map((item) => item.requires)) ?? new Map();
      const matchers = items.map((item) => item.match);
      return {
        match: (context) => {
          for (const matcher of matchers) if (!matcher(context)) return false;
          return true;
        },
        requires,
        equalities: allEqualities(items.map((item) => item.equalities)),
      };
    }
    case 'or': {
      const items = node.items.map((item) => compileCondition(item, searches, names));
      const matchers = items.map((item) => item.match);
      return {
        match: (context) => {
          for (const matcher of matchers) if (matcher(context)) return true;
          return false;
        },
        requires: unionOf(items.map((item) => item.requires)),
        equalities: anyEqualities(items.map((item) => item.equalities)),
      };
    }
    case 'of': {
      const selected = expandPattern(node.pattern, names).map(
        (name): CompiledSearch => searches.get(name) ?? { match: NEVER, requires: new Map() },
      );
      if (node.count === 'all') {
        return compileCondition(
          {
            kind: 'and',
            items: expandPattern(node.pattern, names).map((name) => ({
              kind: 'ref',
              name,
              column: node.column,
            })),
          },
          searches,
          names,
        );
      }
      if (node.count === 1) {
        return compileCondition(
          {
            kind: 'or',
            items: expandPattern(node.pattern, names).map((name) => ({
              kind: 'ref',
              name,
              column: node.column,
            })),
          },
          searches,
          names,
        );
      }
      const needed = node.count;
      const matchers = selected.map((item) => item.match);
      return {
        match: (context) => {
          let count = 0;
          for (const matcher of matchers) if (matcher(context) && ++count >= needed) return true;
          return false;
        },
        // At least one of them matches, whatever the count.
        requires: unionOf(selected.map((item) => item.requires)),
        equalities: anyEqualities(selected.map((item) => item.equalities)),
      };
    }
  }
}

/** Turns detection problems into located problems through a locator of document paths. */
export function locateDetectionProblems(
  problems: readonly DetectionProblem[],
  locate: (path: (string | number)[], onKey: boolean) => Pick<Problem, 'location' | 'snippet'>,
): Problem[] {
  return problems.map((problem) => ({
    code: problem.code,
    severity: 'error',
    message: problem.message,
    ...locate(problem.path, problem.onKey === true),
  }));
}
