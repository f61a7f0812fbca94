import type { Event } from '../model/event.js';
import { compiledAtLoad } from '../rules/compiled-at-load.js';
import { compileDetection, type DetectionProblem } from '../rules/detection.js';
import { EvalContext, type FieldAccessor, fieldAccessor } from '../rules/fields.js';
import {
  type Requirement,
  searchWords,
  visitWords,
  wordHash,
  wordSearch,
} from '../rules/index-keys.js';
import {
  type IndexedMapping,
  LogSourceRouter,
  mappingsForRule,
} from '../rules/logsources/mapping.js';
import type { Placeholders } from '../rules/placeholders.js';
import { enableLinearRegexFallback } from '../rules/regex.js';
import { RegexGuard, type RegexGuardOptions, type RegexTimeouts } from '../rules/regex-guard.js';
import type { DetectionRule } from '../rules/rule.js';
import type { Matcher } from '../rules/search.js';

import { parseNumeric } from '../rules/values.js';

/**
 * The stateless detection stage. Each rule is compiled once per log source mapping it selects,
 * because field names differ between mappings. Each compiled rule is indexed under its index
 * keys (an `EventID` value, or a whole word of `Image` or `CommandLine`), one of which is true
 * for every match (rules/index-keys.ts). So an event is shown only the rules that could match.
 */

interface Variant {
  ruleIndex: number;
  match: Matcher;
  /** Stamp of the last event the variant ran on: a variant in several buckets runs once. */
  seen: number;
}

/**
 * Variants of one mapping, bucketed by index key and value (see rules/index-keys.ts). Words are
 * bucketed by their hash (`wordHash`).
 */
interface MappingIndex {
  valueKeys: { accessor: FieldAccessor; byValue: Map<string, Variant[]> }[];
  wordKeys: WordKey[];
  unindexed: Variant[];
}

/** A `~` key: the variants of each word hash. */
interface WordKey {
  accessor: FieldAccessor;
  byHash: Map<number, Variant[]>;
  /** Words of the key, from which `search` is built. */
  words: Set<string>;
  /** Expression that finds the words in long texts, for a key with few words. */
  search: RegExp | undefined;
}

/** Keys with at most this many words search long texts with an expression (`searchWords`). */
const MAX_SEARCH_WORDS = 16;

/** Minimum length of a text that is searched, when its key has an expression. */
const LONG_TEXT = 256;

export interface DetectorOptions {
  placeholders: Placeholders;
  maxFieldLength: number;
  /** Budget for regular expressions that V8 cannot run in linear time; see rules/regex-guard.ts. */
  regex?: RegexGuardOptions;
}

export interface DetectorStats {
  /** Rule evaluations, summed over events. */
  evaluations_total: number;
  events_total: number;
}

const DEFAULT_REGEX_GUARD: RegexGuardOptions = { budgetMs: 100, disableAfter: 10 };

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
    this.regexGuard = new RegexGuard(options.regex ?? DEFAULT_REGEX_GUARD);
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
        const compiled =
          compiledAtLoad(rule, options.placeholders, mapField) ??
          compileDetection(
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
        for (const value of context.indexKeysOf(key.accessor, indexKey)) {
          const bucket = key.byValue.get(value);
          if (bucket) this.evaluate(bucket, out);
        }
      }
      for (const key of index.wordKeys) {
        for (const text of context.stringsOf(key.accessor)) {
          if (key.search !== undefined && text.length >= LONG_TEXT) {
            searchWords(text, key.search, key.byHash, this.evaluateBucket);
          } else {
            visitWords(text, key.byHash, this.evaluateBucket);
          }
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

function ruleLabel(rule: DetectionRule): string {
  return rule.meta.id ?? rule.meta.name ?? rule.meta.title;
}

/** Buckets each variant under every (key, value) pair of its requirement. */
function buildIndex(variants: { variant: Variant; requires: Requirement }[]): MappingIndex {
  const valueKeys = new Map<string, MappingIndex['valueKeys'][number]>();
  const wordKeys = new Map<string, MappingIndex['wordKeys'][number]>();
  const index: MappingIndex = { valueKeys: [], wordKeys: [], unindexed: [] };
  for (const { variant, requires } of variants) {
    if (requires.size === 0) {
      index.unindexed.push(variant);
      continue;
    }
    for (const [name, values] of requires) {
      const accessor = fieldAccessor(name.slice(1));
      if (name.startsWith('~')) {
        let key = wordKeys.get(name);
        if (!key) {
          key = { accessor, byHash: new Map(), words: new Set(), search: undefined };
          wordKeys.set(name, key);
          index.wordKeys.push(key);
        }
        for (const value of values) key.words.add(value);
        addToBucket(key.byHash, new Set([...values].map(wordHash)), variant);
        continue;
      }
      let key = valueKeys.get(name);
      if (!key) {
        key = { accessor, byValue: new Map() };
        valueKeys.set(name, key);
        index.valueKeys.push(key);
      }
      addToBucket(key.byValue, new Set([...values].map(indexKey)), variant);
    }
  }
  for (const key of index.wordKeys) {
    if (key.words.size <= MAX_SEARCH_WORDS) key.search = wordSearch(key.words);
  }
  return index;
}

/** Adds the variant to the bucket of each key. */
function addToBucket<K>(buckets: Map<K, Variant[]>, keys: Iterable<K>, variant: Variant): void {
  for (const key of keys) {
    const bucket = buckets.get(key);
    if (bucket) bucket.push(variant);
    else buckets.set(key, [variant]);
  }
}

/**
 * The bucket key of a value: numbers in canonical decimal (so that a rule's 999 and an event's
 * `0x3e7` meet), everything else lower-cased. Keys may gather values that are not equal; the
 * rule's own test decides, the index only keeps rules away from events they cannot match.
 */
function indexKey(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const text = String(value);
  // A text that starts with an ASCII character after `9` is not a number, even after trimming.
  const first = text.charCodeAt(0);
  if (first > 0x39 && first < 0x80) return text.toLowerCase();
  const number = parseNumeric(text);
  return number === undefined ? text.toLowerCase() : String(number);
}
