import type { Event } from '../model/event.js';
import { compileDetection, type DetectionProblem } from '../rules/detection.js';
import { EvalContext, type FieldAccessor, fieldAccessor } from '../rules/fields.js';
import {
  type IndexedMapping,
  LogSourceRouter,
  mappingsForRule,
} from '../rules/logsources/mapping.js';
import type { DetectionRule } from '../rules/rule.js';
import type { Matcher } from '../rules/search.js';
import type { PlaceholderLookup } from '../rules/transforms.js';

/**
 * The stateless detection stage. Each rule is compiled once per log source mapping it selects
 * (field names differ between mappings), and indexed by the literal value it requires of the
 * mapping's most selective field (the Windows `EventID`, for example), so that an event is
 * shown only the rules that could match it.
 */

interface Variant {
  ruleIndex: number;
  match: Matcher;
}

interface MappingIndex {
  /** Field whose value picks the bucket, or undefined when no rule requires one. */
  accessor: FieldAccessor | undefined;
  byValue: Map<string, Variant[]>;
  unindexed: Variant[];
}

export interface DetectorOptions {
  placeholders: PlaceholderLookup;
  maxFieldLength: number;
}

export interface DetectorStats {
  /** Rule evaluations, summed over events. */
  evaluations_total: number;
  events_total: number;
}

export class Detector {
  readonly rules: readonly DetectionRule[];
  /** Rules whose log source no mapping provides; they never match. */
  readonly unmapped: DetectionRule[] = [];
  readonly stats: DetectorStats = { evaluations_total: 0, events_total: 0 };
  private readonly router: LogSourceRouter;
  private readonly indexes = new Map<number, MappingIndex>();
  private readonly context: EvalContext;
  private readonly mappings: number[] = [];
  private readonly matchedStamp: Uint32Array;
  private stamp = 0;

  constructor(
    rules: readonly DetectionRule[],
    table: readonly IndexedMapping[],
    options: DetectorOptions,
  ) {
    this.rules = rules;
    this.router = new LogSourceRouter(table);
    this.context = new EvalContext(options.maxFieldLength);
    this.matchedStamp = new Uint32Array(rules.length);

    const variantsByMapping = new Map<
      number,
      { variant: Variant; requires: Map<string, ReadonlySet<string>> }[]
    >();
    rules.forEach((rule, ruleIndex) => {
      const selected = mappingsForRule(rule.logsource, table);
      if (selected.length === 0) {
        this.unmapped.push(rule);
        return;
      }
      for (const mapping of selected) {
        const fields = mapping.fields ?? {};
        const problems: DetectionProblem[] = [];
        const compiled = compileDetection(
          rule,
          { placeholders: options.placeholders, mapField: (name) => fields[name] ?? name },
          problems,
        );
        if (!compiled) continue;
        const list = variantsByMapping.get(mapping.index) ?? [];
        list.push({ variant: { ruleIndex, match: compiled.match }, requires: compiled.requires });
        variantsByMapping.set(mapping.index, list);
      }
    });

    for (const [mapping, variants] of variantsByMapping) {
      this.indexes.set(mapping, buildIndex(variants));
    }
  }

  /** Indexes (into `rules`) of the rules the event matches, each once. */
  detect(event: Event, out: number[]): void {
    out.length = 0;
    this.stats.events_total++;
    this.router.route(event, this.mappings);
    if (this.mappings.length === 0) return;

    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.matchedStamp.fill(0);
      this.stamp = 1;
    }
    const context = this.context;
    context.reset(event);

    for (const mapping of this.mappings) {
      const index = this.indexes.get(mapping);
      if (!index) continue;
      if (index.accessor) {
        const value = index.accessor.get(event);
        if (Array.isArray(value)) {
          // A list field matches a value when any element does, so every element picks a bucket.
          for (const item of value) this.evaluateBucket(index, item, out);
        } else {
          this.evaluateBucket(index, value, out);
        }
      }
      this.evaluate(index.unindexed, out);
    }
  }

  private evaluateBucket(index: MappingIndex, value: unknown, out: number[]): void {
    if (value === undefined || value === null || typeof value === 'object') return;
    const bucket = index.byValue.get(String(value).toLowerCase());
    if (bucket) this.evaluate(bucket, out);
  }

  private evaluate(variants: readonly Variant[], out: number[]): void {
    const stamp = this.stamp;
    const matched = this.matchedStamp;
    for (const variant of variants) {
      if (matched[variant.ruleIndex] === stamp) continue;
      this.stats.evaluations_total++;
      if (variant.match(this.context)) {
        matched[variant.ruleIndex] = stamp;
        out.push(variant.ruleIndex);
      }
    }
  }
}

/** Picks the field most rules of the mapping require, and buckets those rules by its values. */
function buildIndex(
  variants: { variant: Variant; requires: Map<string, ReadonlySet<string>> }[],
): MappingIndex {
  const counts = new Map<string, number>();
  for (const { requires } of variants) {
    for (const field of requires.keys()) counts.set(field, (counts.get(field) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [field, count] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (count > bestCount) {
      best = field;
      bestCount = count;
    }
  }

  const index: MappingIndex = {
    accessor: best === undefined ? undefined : fieldAccessor(best),
    byValue: new Map(),
    unindexed: [],
  };
  for (const { variant, requires } of variants) {
    const values = best === undefined ? undefined : requires.get(best);
    if (!values || values.size === 0) {
      index.unindexed.push(variant);
      continue;
    }
    for (const value of values) {
      const bucket = index.byValue.get(value) ?? [];
      bucket.push(variant);
      index.byValue.set(value, bucket);
    }
  }
  return index;
}
