import {
  type CompiledDetection,
  type CompiledSearch,
  compileDetection,
  type DetectionProblem,
  type SearchSharing,
} from './detection.js';
import { type Equalities, type Requirement, weighsAlike } from './index-keys.js';
import type { Placeholders } from './placeholders.js';
import type { DetectionRule, FilterRule, SearchDefinition } from './rule.js';
import type { FieldReads, FieldTestEnv } from './search.js';

/**
 * Detection rules as loading compiled them, kept for the detector. Loading compiles every rule
 * once to report its problems, and the detector compiles it again for each log source mapping
 * it selects, with the mapping's field names and a time budget for regular expressions. For the
 * public SigmaHQ Windows rules the second compile took about as long as the first. A compile
 * at load gives the same matcher when it read no field that the mapping renames, compiled no
 * expression that needs the budget, used the same placeholders and saw the rule's filters as
 * they are now. The detector then takes it and compiles nothing.
 *
 * Otherwise the detector compiles the rule again, but takes from loading each search that read
 * no field the mapping renames. Of the SigmaHQ Windows rules compiled again for the Security
 * event mappings, such searches held 37 % of the values, nearly all on `CommandLine`, which
 * Sysmon and Security events name alike.
 */

/** The facts that a compile finds about every match of a rule, apart from its matcher. */
export interface RuleFacts {
  requires: Requirement;
  equalities?: Equalities | undefined;
  reads: FieldReads;
}

/** A rule's facts from its compile at load, as a scan sends them to its worker threads. */
export interface FactsAtLoad extends RuleFacts {
  /** Field names that the compile read, before any mapping. */
  fields: string[];
}

interface LoadCompiled {
  /** Absent in a worker thread, which receives the facts without the matcher. */
  compiled: CompiledDetection | undefined;
  facts: RuleFacts;
  placeholders: Placeholders;
  /** Field names that the compile read, before any mapping. */
  fields: readonly string[];
  filters: readonly FilterRule[];
}

const atLoad = new WeakMap<DetectionRule, LoadCompiled>();

/** Keeps a rule's compile at load: one with the identity mapping and no expression budget. */
export function keepCompiledAtLoad(
  rule: DetectionRule,
  compiled: CompiledDetection,
  placeholders: Placeholders,
  fields: Iterable<string>,
): void {
  atLoad.set(rule, {
    compiled,
    facts: compiled,
    placeholders,
    fields: [...fields],
    filters: [...rule.filters],
  });
}

/** Keeps the facts of a rule's compile at load that a worker thread received. */
export function keepFactsAtLoad(
  rule: DetectionRule,
  facts: FactsAtLoad,
  placeholders: Placeholders,
): void {
  const { fields, ...rest } = facts;
  atLoad.set(rule, {
    compiled: undefined,
    facts: rest,
    placeholders,
    fields,
    filters: [...rule.filters],
  });
}

/** Returns the facts of the rule's compile at load, to send to a worker thread. */
export function factsAtLoad(
  rule: DetectionRule,
  placeholders: Placeholders,
): FactsAtLoad | undefined {
  const entry = usableEntry(rule, placeholders);
  if (entry === undefined) return undefined;
  const { requires, equalities, reads } = entry.facts;
  return { requires, equalities, reads, fields: [...entry.fields] };
}

/** Returns the rule's compile at load when it is what compiling it with `mapField` would give. */
export function compiledAtLoad(
  rule: DetectionRule,
  placeholders: Placeholders,
  mapField: (name: string) => string,
): CompiledDetection | undefined {
  const entry = usableEntry(rule, placeholders);
  if (entry === undefined) return undefined;
  if (entry.fields.some((name) => mapField(name) !== name)) return undefined;
  return entry.compiled;
}

/**
 * Returns the facts that compiling the rule with `mapField` would give, from its compile at load
 * with the field names mapped, without compiling it. Undefined when there is no such compile,
 * when two fields the rule reads map to one name, or when a mapped name weighs otherwise as an
 * index key (index-keys.ts), since the compile could then choose other keys.
 */
export function factsForMapping(
  rule: DetectionRule,
  placeholders: Placeholders,
  mapField: (name: string) => string,
): RuleFacts | undefined {
  const entry = usableEntry(rule, placeholders);
  if (entry === undefined) return undefined;
  const renamed = new Map<string, string>();
  const names = new Set<string>();
  for (const name of entry.fields) {
    const mapped = mapField(name);
    if (!weighsAlike(name, mapped)) return undefined;
    renamed.set(name, mapped);
    names.add(mapped);
  }
  if (names.size !== entry.fields.length) return undefined;

  const rename = (name: string) => renamed.get(name) ?? name;
  const { requires, equalities, reads } = entry.facts;
  return {
    requires: renameKeys(requires, rename),
    equalities: equalities && renameKeys(equalities, rename),
    reads: typeof reads === 'string' ? reads : new Set([...reads].map(rename)),
  };
}

/** Returns the entry of the rule's compile at load if its placeholders and filters still apply. */
function usableEntry(rule: DetectionRule, placeholders: Placeholders): LoadCompiled | undefined {
  const entry = atLoad.get(rule);
  if (!entry || entry.placeholders !== placeholders) return undefined;
  if (entry.filters.length !== rule.filters.length) return undefined;
  if (entry.filters.some((filter, index) => filter !== rule.filters[index])) return undefined;
  return entry;
}

/** Renames the field of each index key (`=Field`, `~Field` …), keeping its kind. */
function renameKeys(
  keyed: ReadonlyMap<string, ReadonlySet<string>>,
  rename: (name: string) => string,
): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  for (const [key, values] of keyed) out.set(`${key[0]}${rename(key.slice(1))}`, values);
  return out;
}

interface SearchAtLoad {
  compiled: CompiledSearch;
  placeholders: Placeholders;
  /** Field names that the compile read, before any mapping. */
  fields: readonly string[];
}

const searchesAtLoad = new WeakMap<SearchDefinition, SearchAtLoad>();

/** Returns the hooks through which a compile at load keeps each search it compiles. */
export function keepSearchesAtLoad(placeholders: Placeholders): SearchSharing {
  return {
    keep: (search, compiled, fields) => {
      searchesAtLoad.set(search, { compiled, placeholders, fields });
    },
  };
}

/**
 * Searches that the detector compiled for one mapping of a rule without renaming a field they
 * read, for the rule's other mappings. A rule with facts from compile-facts-cache.ts has no
 * searches from loading, and a process creation rule runs under Sysmon and Security mappings.
 */
interface SearchOfVariant extends SearchAtLoad {
  guard: FieldTestEnv['regexGuard'];
}

const searchesOfVariants = new WeakMap<SearchDefinition, SearchOfVariant>();

/**
 * Compiles a rule for one log source mapping (`env.mapField`). Takes the rule's compile at load
 * when it is what compiling would give, else compiles it with the searches that loading, or a
 * compile for another mapping in the same environment, compiled alike.
 */
export function compileForMapping(
  rule: DetectionRule,
  env: FieldTestEnv,
  problems: DetectionProblem[],
): CompiledDetection | undefined {
  const whole = compiledAtLoad(rule, env.placeholders, env.mapField);
  if (whole) return whole;
  const renames = (fields: readonly string[]) => fields.some((name) => env.mapField(name) !== name);
  return compileDetection(rule, env, problems, {
    reuse: (search) => {
      const loaded = searchesAtLoad.get(search);
      if (loaded && loaded.placeholders === env.placeholders && !renames(loaded.fields)) {
        return loaded.compiled;
      }
      const shared = searchesOfVariants.get(search);
      if (!shared || shared.placeholders !== env.placeholders) return undefined;
      if (!sameGuard(shared.guard, env.regexGuard) || renames(shared.fields)) return undefined;
      return shared.compiled;
    },
    keep: (search, compiled, fields) => {
      if (renames(fields) || searchesOfVariants.has(search)) return;
      const { placeholders, regexGuard: guard } = env;
      searchesOfVariants.set(search, { compiled, placeholders, fields, guard });
    },
  });
}

/** Tells whether two environments run expressions under one guard, for one rule, or neither. */
function sameGuard(a: FieldTestEnv['regexGuard'], b: FieldTestEnv['regexGuard']): boolean {
  return a === b || (a?.guard === b?.guard && a?.rule === b?.rule);
}
