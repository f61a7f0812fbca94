import type { Event } from '../model/event.js';
import { compileForMapping } from '../rules/compiled-at-load.js';
import type { DetectionProblem } from '../rules/detection.js';
import { EvalContext } from '../rules/fields.js';
import type { Requirement } from '../rules/index-keys.js';
import {
  type IndexedMapping,
  LogSourceRouter,
  mappingsForRule,
} from '../rules/logsources/mapping.js';
import type { Placeholders } from '../rules/placeholders.js';
import { enableLinearRegexFallback } from '../rules/regex.js';
import { RegexGuard, type RegexGuardOptions, type RegexTimeouts } from '../rules/regex-guard.js';
import type { DetectionRule } from '../rules/rule.js';
import { visitSubstrings } from '../rules/substring-scan.js';
import { searchWords, visitWordParts, visitWords } from '../rules/word-scan.js';
import { buildIndex, indexKey, LONG_TEXT, type MappingIndex, type Variant } from './rule-index.js';

/**
 * The stateless detection stage. Each rule is compiled once per log source mapping it selects,
 * because field names differ between mappings. Each compiled rule is indexed under its index
 * keys (an `EventID` value, a whole word, word start or word end of `CommandLine`, or a
 * substring of `Description`), one of which is true for every match (rules/index-keys.ts,
 * rule-index.ts). So an event is shown only the rules that could match.
 */

export interface DetectorOptions {
  placeholders: Placeholders;
  maxFieldLength: number;
  /** Budget for regular expressions that V8 cannot run in linear time; see rules/regex-guard.ts. */
  regex?: RegexGuardOptions;
  /**
   * Timeout counts of those expressions, one slot per rule, shared by the detectors of all of a
   * scan's threads over the same rules.
   */
  sharedTimeouts?: Int32Array;
}

export interface DetectorStats {
  /** Rule evaluations, summed over events. */
  evaluations_total: number;
  events_total: number;
}

const DEFAULT_REGEX_GUARD: RegexGuardOptions = { budgetMs: 100, disableAfter: 10 };

/** Returns the rules whose log source no mapping provides, as `Detector.unmapped` lists them. */
export function unmappedRules(
  rules: readonly DetectionRule[],
  table: readonly IndexedMapping[],
): DetectionRule[] {
  return rules.filter((rule) => mappingsForRule(rule.logsource, table).length === 0);
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
  private readonly variants: Variant[] = [];
  private stamp = 0;
  private readonly regexGuard: RegexGuard;
  /** Output list of the event being detected, for `evaluateBucket`. */
  private out: number[] = [];
  private readonly evaluateBucket = (bucket: readonly Variant[]) => this.evaluate(bucket, this.out);

  constructor(
    rules: readonly DetectionRule[],
    table: readonly IndexedMapping[],
    options: DetectorOptions,
  ) {
    // A rule's regular expression that backtracks catastrophically must not stall the scan.
    enableLinearRegexFallback();
    this.rules = rules;
    this.router = new LogSourceRouter(table);

    this.context = new EvalContext(options.maxFieldLength);
    const regex = options.regex ?? DEFAULT_REGEX_GUARD;
    this.regexGuard = new RegexGuard(
      options.sharedTimeouts
        ? { ...regex, shared: { counts: options.sharedTimeouts, slots: labelSlots(rules) } }
        : regex,
    );
    this.matchedStamp = new Uint32Array(rules.length);

    const variantsByMapping = new Map<number, { variant: Variant; requires: Requirement }[]>();
    rules.forEach((rule, ruleIndex) => {
      const selected = mappingsForRule(rule.logsource, table);
      if (selected.length === 0) {
        this.unmapped.push(rule);
        return;
      }
      for (const mapping of selected) {
        const fields = mapping.fields ?? {};
        const mapField = (name: string) => fields[name] ?? name;
        const problems: DetectionProblem[] = [];
        const compiled = compileForMapping(
          rule,
          {
            placeholders: options.placeholders,
            mapField,
            regexGuard: { guard: this.regexGuard, rule: ruleLabel(rule) },
          },
          problems,
        );
        if (!compiled) continue;
        const list = variantsByMapping.get(mapping.index) ?? [];
        const variant: Variant = { ruleIndex, match: compiled.match, seen: 0 };
        this.variants.push(variant);
        list.push({ variant, requires: compiled.requires });
        variantsByMapping.set(mapping.index, list);
      }
    });

    for (const [mapping, variants] of variantsByMapping) {
      this.indexes.set(mapping, buildIndex(variants));
    }
  }

  /** Evaluations of time-limited regular expressions that ran over their budget, per rule. */
  get regexTimeouts(): RegexTimeouts {
    return this.regexGuard.timeouts;
  }

  /** Returns a rule's timeouts, counted in every thread when the counts are shared. */
  regexTimeoutsOf(rule: string): number {
    return this.regexGuard.timeoutsOf(rule);
  }

  /** Ends the thread that runs time-limited regular expressions, if one was started. */
  close(): void {
    this.regexGuard.close();
  }

  /**
   * Lists in `out` the indexes (into `rules`) of the rules the event matches, each once. `text`
   * is the JSON text of the event's record, for a format that sets `textHoldsValues`.
   */
  detect(event: Event, out: number[], text?: string): void {
    out.length = 0;
    this.stats.events_total++;
    this.router.route(event, this.mappings);
    if (this.mappings.length === 0) return;

    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.matchedStamp.fill(0);
      for (const variant of this.variants) variant.seen = 0;
      this.stamp = 1;
    }
    const context = this.context;
    context.reset(event, text);
    this.out = out;

    for (const mapping of this.mappings) {
      const index = this.indexes.get(mapping);
      if (!index) continue;
      for (const key of index.valueKeys) {
        const longest = key.lengths.length - 1;
        for (const value of context.indexKeysUpTo(key.accessor, indexKey, longest)) {
          if (value.length >= key.lengths.length || key.lengths[value.length] === 0) continue;
          const bucket = key.byValue.get(value);
          if (bucket) this.evaluate(bucket, out);
        }
      }
      for (const key of index.wordKeys) {
        for (const text of context.stringsOf(key.accessor)) {
          if (key.search !== undefined && text.length >= LONG_TEXT) {
            searchWords(text, key.search, key.tables, this.evaluateBucket);
            this.evaluate(key.direct, out);
          } else if (key.tables.starts === undefined && key.tables.ends === undefined) {
            visitWords(text, key.tables.words, this.evaluateBucket);
          } else {
            visitWordParts(text, key.tables, this.evaluateBucket);
          }
        }
      }
      for (const key of index.substringKeys) {
        for (const text of context.lowerOf(key.accessor)) {
          visitSubstrings(text, key.table, this.evaluateBucket);
        }
      }
      this.evaluate(index.unindexed, out);
    }
  }

  private evaluate(variants: readonly Variant[], out: number[]): void {
    const stamp = this.stamp;
    const matched = this.matchedStamp;
    for (const variant of variants) {
      if (matched[variant.ruleIndex] === stamp || variant.seen === stamp) continue;
      variant.seen = stamp;
      this.stats.evaluations_total++;
      if (variant.match(this.context)) {
        matched[variant.ruleIndex] = stamp;
        out.push(variant.ruleIndex);
      }
    }
  }
}

/** Maps each rule label to the index of the first rule with that label. */
function labelSlots(rules: readonly DetectionRule[]): Map<string, number> {
  const slots = new Map<string, number>();
  rules.forEach((rule, index) => {
    const label = ruleLabel(rule);
    if (!slots.has(label)) slots.set(label, index);
  });
  return slots;
}

function ruleLabel(rule: DetectionRule): string {
  return rule.meta.id ?? rule.meta.name ?? rule.meta.title;
}
