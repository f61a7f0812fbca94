import {
  type CompiledDetection,
  type CompiledSearch,
  compileDetection,
  type DetectionProblem,
  type SearchSharing,
} from './detection.js';
import type { Placeholders } from './placeholders.js';
import type { DetectionRule, FilterRule, SearchDefinition } from './rule.js';
import type { FieldTestEnv } from './search.js';

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

interface LoadCompiled {
  compiled: CompiledDetection;
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
  atLoad.set(rule, { compiled, placeholders, fields: [...fields], filters: [...rule.filters] });
}

/** Returns the rule's compile at load when it is what compiling it with `mapField` would give. */
export function compiledAtLoad(
  rule: DetectionRule,
  placeholders: Placeholders,
  mapField: (name: string) => string,
): CompiledDetection | undefined {
  const entry = atLoad.get(rule);
  if (!entry || entry.placeholders !== placeholders) return undefined;
  if (entry.filters.length !== rule.filters.length) return undefined;
  if (entry.filters.some((filter, index) => filter !== rule.filters[index])) return undefined;
  if (entry.fields.some((name) => mapField(name) !== name)) return undefined;
  return entry.compiled;
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
 * Compiles a rule for one log source mapping (`env.mapField`). Takes the rule's compile at load
 * when it is what compiling would give, else compiles it with the searches that loading
 * compiled alike.
 */
export function compileForMapping(
  rule: DetectionRule,
  env: FieldTestEnv,
  problems: DetectionProblem[],
): CompiledDetection | undefined {
  const whole = compiledAtLoad(rule, env.placeholders, env.mapField);
  if (whole) return whole;
  return compileDetection(rule, env, problems, {
    reuse: (search) => {
      const loaded = searchesAtLoad.get(search);
      if (!loaded || loaded.placeholders !== env.placeholders) return undefined;
      const renamed = loaded.fields.some((name) => env.mapField(name) !== name);
      return renamed ? undefined : loaded.compiled;
    },
  });
}
