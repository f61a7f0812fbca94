import type { Event } from '../model/event.js';
import { type FieldAccessor, fieldAccessor } from '../rules/fields.js';
import type { Variant } from './rule-index.js';
import { mix, SAMPLED_HASH_START, sampledHash } from './sampled-hash.js';

/**
 * Verdicts of the rules of one route (the log source mappings an event belongs to), remembered
 * by the values of the fields they read. A rule's verdict on an event depends on those values
 * only (`CompiledDetection.reads`), so an event whose values are all those of an earlier event
 * matches the same rules. Logs repeat themselves: of the 223,340 Sysmon process access events of
 * the OTRF set, 7,861 differ in the fields that the SigmaHQ rules for them read. Such an event
 * then costs reading those fields and comparing them with the remembered ones, instead of the
 * index and the rules.
 *
 * The values are not joined into one text to look up: V8 would copy and hash the whole joined
 * text, which took longer than the rules it saved. They are hashed from a few characters of
 * each, and remembered values are compared one by one, so a weak hash costs time, never a
 * wrong verdict.
 *
 * Rules that read the whole record (keyword searches) are not remembered: they run on each event.
 * Nor are rules with an expression under a time budget (rules/regex-guard.ts): once stopped for
 * its rule, the expression gives no match where it matched before.
 */

/** Maximum fields a memo reads. A route whose rules read more, such as Security's, has none. */
const MAX_FIELDS = 24;

/**
 * Text length, in UTF-16 units, of the values that the memos of one detector hold together:
 * 16 to 32 MiB. When an event would pass it, every memo of the detector starts again empty. The
 * distinct values of the OTRF Sysmon process access events take about 5.8 million units (an
 * estimate from their JSON).
 */
export const MAX_MEMO_UNITS = 16 * 1024 * 1024;

/**
 * Units that each remembered event counts besides its texts, for its entry and its values: an
 * event of numbers only, such as process ids, must count too.
 */
const ENTRY_UNITS = 32;

/** Maximum value text remembered for one event: longer texts, such as scripts, rarely repeat. */
const MAX_EVENT_UNITS = 8_192;

/** Maximum remembered events per hash. A further event replaces one of them. */
const BUCKET_SIZE = 4;

/**
 * Maximum hashes of events seen once that a memo keeps: 1.25 MiB of heap when full (Node 20).
 * Values are remembered when their hash comes a second time: values kept in memory outlive V8's
 * young generation, and copying those of events that never repeat cost more garbage collection
 * time than the verdicts saved.
 */
const MAX_SEEN_ONCE = 65_536;

/**
 * Maximum hashes that the memos of one detector keep together. A route split by event id has a
 * memo per id, and the Security events alone have some seventy ids with rules.
 */
export const MAX_ALL_SEEN_ONCE = 4 * MAX_SEEN_ONCE;

/** Lookups per trial of the share of events whose verdicts were remembered. */
const TRIAL_LOOKUPS = 4_096;

/**
 * Minimum share of remembered verdicts for the memo to be worth reading the fields. Below it, as
 * on the PowerShell module events whose `ContextInfo` differs each time, the memo rests.
 */
const MIN_HIT_SHARE = 0.1;

/** Events of the route for which a memo that fell below `MIN_HIT_SHARE` rests. */
const REST_EVENTS = 65_536;

/** Text length that the memos of one detector hold, shared between them. */
export interface MemoBudget {
  units: number;
}

/**
 * The memos of one detector and what they keep together: remembered values, up to
 * `MAX_MEMO_UNITS`, and hashes of events seen once, up to `MAX_ALL_SEEN_ONCE`. Memos of event ids
 * that stop coming would keep their share, so reaching a limit empties that part of every memo.
 */
export class MemoPool {
  private readonly memos: VerdictMemo[] = [];
  /** Units of the remembered events of all memos. */
  units = 0;
  /** Hashes of events seen once in all memos. */
  seenHashes = 0;

  add(memo: VerdictMemo): void {
    this.memos.push(memo);
  }

  /** Empties every memo's remembered events. */
  forgetValues(): void {
    for (const memo of this.memos) memo.forgetValues();
    this.units = 0;
  }

  /** Empties every memo's hashes of events seen once. */
  forgetSeen(): void {
    for (const memo of this.memos) memo.forgetSeen();
    this.seenHashes = 0;
  }
}

interface Remembered {
  values: readonly unknown[];
  /** Rules matched, live rules left out. */
  matched: readonly number[];
}

export class VerdictMemo {
  /** Variants of the rules that fields do not decide (`FieldReads`): they run on every event. */
  readonly live: readonly Variant[];
  private readonly liveRules: ReadonlySet<number>;
  private readonly accessors: readonly FieldAccessor[];
  /**
   * The names of the fields, for those the record has as they are named; undefined for a dotted
   * name, which the accessor finds. Reading `fields[name]` in the loop costs less than a call
   * per field.
   */
  private readonly plainNames: readonly (string | undefined)[];
  private readonly buckets = new Map<number, Remembered[]>();
  private readonly seenOnce = new Set<number>();
  /** Values of the event being detected, and their hash and text length. */
  private readonly values: unknown[];
  private hash = 0;
  private eventUnits = 0;
  private lookups = 0;
  /**
   * Lookups of the trial that found a verdict. Values hashed once before do not count: texts that
   * differ only between the sampled characters, such as PowerShell's `ContextInfo` from one
   * command to the next, share their hash without repeating.
   */
  private hits = 0;
  private resting = 0;

  constructor(
    variants: readonly Variant[],
    private readonly pool: MemoPool,
  ) {
    pool.add(this);
    const liveRules = new Set<number>();
    for (const variant of variants) {
      if (typeof variant.reads === 'string') liveRules.add(variant.ruleIndex);
    }
    this.liveRules = liveRules;
    this.live = variants.filter((variant) => liveRules.has(variant.ruleIndex));

    const fields = new Set<string>();
    for (const variant of variants) {
      if (typeof variant.reads === 'string' || liveRules.has(variant.ruleIndex)) continue;
      for (const field of variant.reads) fields.add(field);
    }
    this.accessors = [...fields].sort().map(fieldAccessor);
    this.plainNames = this.accessors.map(({ name }) => (name.includes('.') ? undefined : name));
    this.values = new Array(this.accessors.length);
    const useless = this.live.length === variants.length || fields.size > MAX_FIELDS;
    if (useless) this.resting = Number.POSITIVE_INFINITY;
  }

  /**
   * Reads the event's values and returns the rules that an earlier event with the same values
   * matched, live rules left out. Returns undefined when there is none, when the memo rests or
   * when a value is a list or an object. In the last two cases `remember` does nothing.
   */
  recall(event: Event): readonly number[] | undefined {
    this.eventUnits = -1;
    if (this.resting > 0) {
      this.resting--;
      return undefined;
    }
    if (!this.read(event)) return undefined;

    this.lookups++;
    const found = this.find();
    if (found !== undefined) this.hits++;
    if (this.lookups === TRIAL_LOOKUPS) this.endTrial();
    return found?.matched;
  }

  /** Remembers the rules matched by the event that `recall` last read and did not find. */
  remember(matched: readonly number[]): void {
    const units = this.eventUnits;
    if (units < 0) return;
    if (!this.seenBefore(this.hash)) return;
    const cost = units + ENTRY_UNITS;
    if (this.pool.units + cost > MAX_MEMO_UNITS) this.pool.forgetValues();
    const kept = matched.filter((rule) => !this.liveRules.has(rule));
    const entry: Remembered = { values: [...this.values], matched: kept.length > 0 ? kept : NONE };
    const bucket = this.buckets.get(this.hash);
    if (bucket === undefined) this.buckets.set(this.hash, [entry]);
    else if (bucket.length < BUCKET_SIZE) bucket.push(entry);
    else bucket[this.lookups % BUCKET_SIZE] = entry;
    this.pool.units += cost;
  }

  /** Forgets the remembered events. `MemoPool` calls it for every memo at once. */
  forgetValues(): void {
    this.buckets.clear();
  }

  /** Forgets the hashes of events seen once. `MemoPool` calls it for every memo at once. */
  forgetSeen(): void {
    this.seenOnce.clear();
  }

  /** Number of hashes of events seen once that the memo keeps. */
  get seenCount(): number {
    return this.seenOnce.size;
  }

  /** Tells whether the hash came before, and notes it when it did not. */
  private seenBefore(hash: number): boolean {
    const seen = this.seenOnce;
    const pool = this.pool;
    if (seen.has(hash)) return true;
    if (seen.size >= MAX_SEEN_ONCE) {
      pool.seenHashes -= seen.size;
      seen.clear();
    }
    if (pool.seenHashes >= MAX_ALL_SEEN_ONCE) pool.forgetSeen();
    seen.add(hash);
    pool.seenHashes++;
    return false;
  }

  /** Reads the event's values into `values`, with their hash; false for a list or an object. */
  private read(event: Event): boolean {
    const accessors = this.accessors;
    const names = this.plainNames;
    const fields = event.fields;
    const values = this.values;
    let hash = SAMPLED_HASH_START;
    let units = 0;
    for (let at = 0; at < accessors.length; at++) {
      const name = names[at];
      const value = name === undefined ? (accessors[at] as FieldAccessor).get(event) : fields[name];
      if (typeof value === 'string') {
        hash = mix(hash, sampledHash(value));
        units += value.length;
      } else if (typeof value === 'number') {
        hash = mix(hash, value | 0);
      } else if (value !== undefined && value !== null && typeof value !== 'boolean') {
        return false;
      }
      values[at] = value;
    }
    if (units > MAX_EVENT_UNITS) return false;
    // Thirty bits, which V8 keeps as small integers, the fastest `Map` keys.
    this.hash = hash & 0x3fffffff;
    this.eventUnits = units;
    return true;
  }

  private find(): Remembered | undefined {
    const bucket = this.buckets.get(this.hash);
    if (bucket === undefined) return undefined;
    const values = this.values;
    for (const entry of bucket) {
      const known = entry.values;
      let same = true;
      for (let at = 0; at < values.length; at++) {
        if (known[at] !== values[at]) {
          same = false;
          break;
        }
      }
      if (same) return entry;
    }
    return undefined;
  }

  /** Rests the memo when too few events of the last trial reused a verdict. */
  private endTrial(): void {
    if (this.hits < this.lookups * MIN_HIT_SHARE) this.resting = REST_EVENTS;
    this.lookups = 0;
    this.hits = 0;
  }
}

const NONE: readonly number[] = [];
