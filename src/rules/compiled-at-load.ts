import type { CompiledDetection } from './detection.js';
import type { Placeholders } from './placeholders.js';
import type { DetectionRule, FilterRule } from './rule.js';

/**
 * Detection rules as loading compiled them, kept for the detector. Loading compiles every rule
 * once to report its problems, and the detector compiles it again for each log source mapping
 * it selects, with the mapping's field names and a time budget for regular expressions. For the
 * public SigmaHQ Windows rules the second compile took about as long as the first. A compile
 * at load gives the same matcher when it read no field that the mapping renames, compiled no
 * expression that needs the budget, used the same placeholders and saw the rule's filters as
 * they are now. The detector then takes it and compiles nothing.
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
