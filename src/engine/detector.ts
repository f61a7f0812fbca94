import type { Event } from '../model/event.js';
import {
  compiledAtLoad,
  compileForMapping,
  factsForMapping,
  type RuleFacts,
} from '../rules/compiled-at-load.js';
import { EvalContext } from '../rules/fields.js';
import {
  type IndexedMapping,
  LogSourceRouter,
  mappingsForRule,
} from '../rules/logsources/mapping.js';
import type { Placeholders } from '../rules/placeholders.js';
import { enableLinearRegexFallback } from '../rules/regex.js';
import { RegexGuard, type RegexGuardOptions, type RegexTimeouts } from '../rules/regex-guard.js';
import type { DetectionRule } from '../rules/rule.js';
import type { FieldTestEnv } from '../rules/search.js';
import { visitSubstrings } from '../rules/substring-scan.js';
import { searchWords, visitWordParts, visitWords } from '../rules/word-scan.js';
import {
  buildIndex,
  type IndexedVariant,
  type MappingIndex,
  type Partition,
} from './index-partition.js';
import {
  crossesLines,
  type KeyScan,
  LineFinds,
  type TextScanner,
  WholeTexts,
} from './line-finds.js';
import {
  indexKey,
  type KeyedVariants,
  LONG_TEXT,
  type SubstringKey,
  type Variant,
  type WordKey,
} from './rule-index.js';
import { type MemoBudget, MemoPool, VerdictMemo } from './verdict-memo.js';

/**
 * The stateless detection stage. Each rule has a variant per log source mapping it selects,
 * because field names differ between mappings, and a variant compiles its matcher at the latest
 * when it first runs. Each variant is indexed under its index keys (an `EventID` value, a whole
 * word, word start or word end of `CommandLine`, or a substring of `Description`), one of which
 * is true for every match (rules/index-keys.ts, rule-index.ts). So an event is shown only the
 * rules that could match.
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
  /** Events whose verdicts an earlier event with the same values gave (verdict-memo.ts). */
  verdicts_reused_total: number;
  /** Lines of long values whose index keys an earlier value gave (line-finds.ts). */
  lines_reused_total: number;
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
  readonly stats: DetectorStats = {
    evaluations_total: 0,
    events_total: 0,
    verdicts_reused_total: 0,
    lines_reused_total: 0,
  };
  private readonly router: LogSourceRouter;
  /** Each mapping's variants with their index keys, from which route indexes are built. */
  private readonly indexedOf = new Map<number, IndexedVariant[]>();
  private readonly context: EvalContext;
  private readonly matchedStamp: Uint32Array;
  private readonly variants: Variant[] = [];
  /** Routes seen, named by their mappings joined with commas. */
  private readonly routes = new Map<string, Route>();
  /**
   * Routes by the router's list of mappings, which is one array per combination of values. A
   * list the router made for one event only leaves the map with the list.
   */
  private readonly routesByList = new WeakMap<readonly number[], Route>();
  private readonly memoPool = new MemoPool();
  /** Line memos of the word and substring keys (line-finds.ts), and their budget. */
  private readonly lineMemos = new Map<WordKey | SubstringKey, TextScanner<Variant[]>>();
  private readonly lineBudget: MemoBudget = { units: 0 };
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

    const variantsByMapping = new Map<number, IndexedVariant[]>();
    rules.forEach((rule, ruleIndex) => {
      const selected = mappingsForRule(rule.logsource, table);
      if (selected.length === 0) {
        this.unmapped.push(rule);
        return;
      }
      for (const mapping of selected) {
        const fields = mapping.fields ?? {};
        // Own names only: a rule's field named `__proto__` would read the object's prototype.
        const mapField = (name: string) =>
          Object.hasOwn(fields, name) ? (fields[name] ?? name) : name;
        const env: FieldTestEnv = {
          placeholders: options.placeholders,
          mapField,
          regexGuard: { guard: this.regexGuard, rule: ruleLabel(rule) },
        };
        const planned = planVariant(rule, ruleIndex, env);
        if (!planned) continue;
        const list = variantsByMapping.get(mapping.index) ?? [];
        this.variants.push(planned.variant);
        list.push({
          variant: planned.variant,
          requires: planned.facts.requires,
          equalities: planned.facts.equalities,
        });
        variantsByMapping.set(mapping.index, list);
      }
    });

    for (const [mapping, variants] of variantsByMapping) this.indexedOf.set(mapping, variants);
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
    const mappings = this.router.routeList(event);
    if (mappings.length === 0) return;

    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.matchedStamp.fill(0);
      for (const variant of this.variants) variant.seen = 0;
      this.stamp = 1;
    }
    const context = this.context;
    context.reset(event, text);
    this.out = out;

    const route = this.routeOf(mappings);
    const choice = this.choiceOf(route);
    const memo = choice.memo;
    const known = memo?.recall(event);
    if (memo !== undefined && known !== undefined) {
      this.stats.verdicts_reused_total++;
      for (const rule of known) {
        this.matchedStamp[rule] = this.stamp;
        out.push(rule);
      }
      this.evaluate(memo.live, out);
    } else {
      this.detectKeyed(route.index.common, out);
      for (const part of choice.parts) this.detectKeyed(part, out);
      memo?.remember(out);
    }
    // The same rules in the same order, whether the verdicts were remembered or not.
    if (out.length > 1) out.sort(byNumber);
  }

  /**
   * Returns the parts of the route that the event's value of the split field selects
   * (index-partition.ts), with their memo. Choices are kept by the value as the record writes
   * it, a number or a text, so that most events read one field and look it up once.
   */
  private choiceOf(route: Route): PartChoice {
    const partition = route.index.partition;
    if (partition === undefined) return route.whole;
    const value = partition.accessor.get(this.context.event);
    const cacheable =
      typeof value === 'number' || (typeof value === 'string' && value.length <= MAX_CHOICE_LENGTH);
    if (cacheable) {
      const known = route.choices.get(value);
      if (known !== undefined) return known;
    }
    const choice = this.choose(route, partition);
    if (cacheable && route.choices.size < MAX_CHOICES) route.choices.set(value, choice);
    return choice;
  }

  /**
   * Finds the parts of the event's values of the split field. The memo of a part remembers the
   * verdicts of the rules that an event with that value can meet: those of its part and the
   * common ones. An event of more than one part, as when the field is a list, gets no memo.
   */
  private choose(route: Route, partition: Partition): PartChoice {
    const parts: KeyedVariants[] = [];
    let value = '';
    for (const key of this.context.indexKeysOf(partition.accessor, indexKey)) {
      const part = partition.byValue.get(key);
      if (part === undefined) continue;
      parts.push(part);
      value = key;
    }
    if (parts.length === 0) return route.whole;
    if (parts.length > 1) return { parts, memo: undefined };

    let memo = route.partMemos.get(value);
    if (memo === undefined) {
      const partVariants = partition.variantsByValue.get(value) ?? [];
      memo = new VerdictMemo([...route.index.commonVariants, ...partVariants], this.memoPool);
      route.partMemos.set(value, memo);
    }
    return { parts, memo };
  }

  /** Returns the state of a route, made when the route is first seen, and found by its list. */
  private routeOf(mappings: readonly number[]): Route {
    const known = this.routesByList.get(mappings);
    if (known !== undefined) return known;

    const name = mappings.join(',');
    let route = this.routes.get(name);
    if (route === undefined) {
      const indexed = mappings.flatMap((mapping) => this.indexedOf.get(mapping) ?? []);
      const index = buildIndex(indexed);
      const memo = new VerdictMemo(index.commonVariants, this.memoPool);
      route = { index, whole: { parts: [], memo }, partMemos: new Map(), choices: new Map() };
      this.routes.set(name, route);
    }
    this.routesByList.set(mappings, route);
    return route;
  }

  /** Evaluates the variants whose index keys the event in `context` has. */
  private detectKeyed(index: KeyedVariants, out: number[]): void {
    const context = this.context;
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
        if (text.length >= LONG_TEXT) {
          this.wordLines(key).visit(text, this.evaluateBucket);
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
        if (text.length >= LONG_TEXT) this.substringLines(key).visit(text, this.evaluateBucket);
        else visitSubstrings(text, key.table, this.evaluateBucket);
      }
    }

    this.evaluate(index.unindexed, out);
  }

  /** Returns the line memo of a word key, made when the key first meets a long text. */
  private wordLines(key: WordKey): TextScanner<Variant[]> {
    let memo = this.lineMemos.get(key);
    if (memo === undefined) {
      const { search, tables } = key;
      let scan: KeyScan<Variant[]>;
      if (search !== undefined) scan = (text, visit) => searchWords(text, search, tables, visit);
      else if (tables.starts === undefined && tables.ends === undefined) {
        scan = (text, visit) => visitWords(text, tables.words, visit);
      } else scan = (text, visit) => visitWordParts(text, tables, visit);
      memo = new LineFinds(scan, this.lineBudget, this.stats);
      this.lineMemos.set(key, memo);
    }
    return memo;
  }

  /** Returns the line memo of a substring key, which scans whole texts if a key has a `\n`. */
  private substringLines(key: SubstringKey): TextScanner<Variant[]> {
    let memo = this.lineMemos.get(key);
    if (memo === undefined) {
      const table = key.table;
      const scan: KeyScan<Variant[]> = (text, visit) => visitSubstrings(text, table, visit);
      memo = crossesLines(table.entries.keys())
        ? new WholeTexts(scan)
        : new LineFinds(scan, this.lineBudget, this.stats);
      this.lineMemos.set(key, memo);
    }
    return memo;
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

/**
 * The log source mappings that an event belongs to, with the rule index of their rules together
 * and its verdict memos. A Sysmon registry event belongs to four mappings: the Sysmon service,
 * two registry categories and Windows as a whole. With an index per mapping, the detector
 * scanned a field such as `TargetObject` once for each mapping whose rules have keys in it. One
 * index per route scans it once: a scan of the OTRF events with the SigmaHQ Windows rules took
 * 0.96 times as long (6 alternate pairs, Node 20).
 *
 * An index split by a field (index-partition.ts) has a memo for each value of the field, over
 * the rules that an event with that value can meet: those of its part and the common ones. A
 * memo over all of a route's rules read every field that some rule reads. The SigmaHQ rules for
 * Security events read 85 fields, more than a memo reads (verdict-memo.ts), so the 94,426
 * Security events of the OTRF set ran their rules each time. The rules for event 4648 read 22
 * fields with the common ones. With a memo per value, 447,675 instead of 360,081 OTRF events
 * reused verdicts, and detection alone took 0.95 times as long (4 alternate runs, Node 20).
 */
interface Route {
  index: MappingIndex;
  /** The choice of the events whose value of the split field has no part, or of all if unsplit. */
  whole: PartChoice;
  /** Memos of the values of the split field that have a part, made as each value comes. */
  partMemos: Map<string, VerdictMemo>;
  /** Choices by the split field's value as records write it, up to `MAX_CHOICES`. */
  choices: Map<string | number, PartChoice>;
}

/** The parts of a route that an event meets, and the memo of their rules and the common ones. */
interface PartChoice {
  parts: readonly KeyedVariants[];
  memo: VerdictMemo | undefined;
}

/** Values of the split field whose choice a route keeps: event ids are a few hundred at most. */
const MAX_CHOICES = 4096;

/**
 * Maximum length of a text of the split field whose choice a route keeps. A registry route is
 * split by `Details`, whose values can be long and rarely repeat, unlike event ids.
 */
const MAX_CHOICE_LENGTH = 64;

/**
 * Makes the variant of a rule for one mapping (`env.mapField`), with the facts that index it.
 * When the facts can come from the rule's compile at load (compiled-at-load.ts), the variant
 * compiles its matcher when it first runs: many variants never run, since an event meets only
 * the rules of its keys. In each worker thread of an OTRF scan with the SigmaHQ rules, compiling
 * every variant at the start took 0.7 s, and compiling those that ran took 0.4 s (Node 20).
 * Undefined when the rule does not compile.
 */
function planVariant(
  rule: DetectionRule,
  ruleIndex: number,
  env: FieldTestEnv,
): { variant: Variant; facts: RuleFacts } | undefined {
  const loaded = compiledAtLoad(rule, env.placeholders, env.mapField);
  if (loaded) {
    return {
      variant: { ruleIndex, match: loaded.match, reads: loaded.reads, seen: 0 },
      facts: loaded,
    };
  }

  const facts = factsForMapping(rule, env.placeholders, env.mapField);
  if (facts) {
    const variant: Variant = { ruleIndex, match: NEVER, reads: facts.reads, seen: 0 };
    variant.match = (context) => {
      // The rule compiled at load without problems, and only its field names differ here.
      // NOTE: a compile that still fails leaves the variant matching nothing, without a report.
      const compiled = compileForMapping(rule, env, []);
      variant.match = compiled?.match ?? NEVER;
      return variant.match(context);
    };
    return { variant, facts };
  }

  const compiled = compileForMapping(rule, env, []);
  if (!compiled) return undefined;
  return {
    variant: { ruleIndex, match: compiled.match, reads: compiled.reads, seen: 0 },
    facts: compiled,
  };
}

const NEVER = (): boolean => false;

function byNumber(a: number, b: number): number {
  return a - b;
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
