import type { TrustContext } from '../context/context.js';
import type { Detector, DetectorOptions } from '../engine/detector.js';
import type { BaselineEnricher } from '../enrich/baseline.js';
import { applyGeo, type GeoResolver } from '../enrich/geo.js';
import type { TrustEnricher } from '../enrich/trust.js';
import type { Event } from '../model/event.js';
import type { Logger } from '../model/logger.js';
import { placeholderLookup } from '../rules/placeholders.js';
import { type PreparedInput, type ReadOptions, readPrepared } from '../sources/read.js';
import { STOPPED, StopWaits } from './stop.js';

/**
 * The per-input stage of a scan: records → events → time range → trust, geo and baseline
 * enrichment → detection. It yields only the events that matched a rule, so that little
 * leaves it however large the input. A scan runs it in its own thread or in worker threads
 * (scan-pool.ts), one input at a time per thread.
 */

/** An event that matched detection rules, by their index in the scan's detection rules. */
export interface StageMatch {
  time: number;
  event: Event;
  rules: number[];
}

/** Counts of one input's records. */
export interface InputCounts {
  /** Records read: parsed, rejected and skipped. */
  read: number;
  /** Records that went into events. */
  parsed: number;
  rejected: number;
  /** Events made, fewer than parsed records where a format joins records (audit logs). */
  events: number;
  rejectedByCode: Record<string, number>;
  /** Records that contain no event (the summary `log show` appends): not parsed, not rejected. */
  skippedRecords: number;
  skippedByReason: Record<string, number>;
  /** Parsed events left out by the time range. */
  outOfRange: number;
  /** API pages without records (`{"value": []}`) among other pages, not counted as records. */
  emptyPages: number;
  /** The reason reading stopped early. */
  error: string | undefined;
  /**
   * Damage that reading went past, such as bytes after the last gzip member or between members.
   * A damaged gzip member before a valid one lost the records after its damage.
   */
  damage: string[];
  /** Set when the scan was stopped before the end of this input, or before it was opened. */
  interrupted: boolean;
}

export interface TimeRange {
  since?: number;
  until?: number;
}

export interface StageOptions {
  read: ReadOptions;
  logger: Logger;
  enricher: TrustEnricher;
  detector: Detector;
  geo?: GeoResolver;
  /** Baseline enrichment that learns, and one that only reads, for events after `learnUntil`. */
  baseline?: { learning: BaselineEnricher; readOnly: BaselineEnricher };
  /** Only events before this time add to the baseline being learned; all when absent. */
  learnUntil?: number;
  /** Events before this time are skipped after reading (a learning period scanned apart). */
  huntFrom?: number;
  /** Rejected records logged per input; the rest are only counted. */
  loggedRejections?: number;
  timeRange?: TimeRange;
  /** Events of each party per hour (epoch ms of the hour's start), added to as events pass. */
  activity: Map<string, Map<number, number>>;
  /** Stops reading: the chunk being processed is finished and no further chunk is read. */
  signal?: AbortSignal;
}

/** Rejections logged per input before the rest are only counted, unless the scan sets it. */
export const DEFAULT_LOGGED_REJECTIONS = 5;

/** Regular expression timeouts logged per stage; the summary counts all of them per rule. */
const LOGGED_REGEX_TIMEOUTS = 20;

const HOUR_MS = 3_600_000;

/**
 * Returns the detector options of a scan's threads, from its context. `regexTimeouts` is the
 * scan's shared count of regular expression timeouts per detection rule.
 */
export function stageDetectorOptions(
  context: Pick<TrustContext, 'settings'>,
  maxFieldLength: number,
  regexTimeouts: SharedArrayBuffer,
): DetectorOptions {
  const settings = context.settings;
  return {
    placeholders: placeholderLookup(settings.placeholders, settings.unresolved_placeholders),
    maxFieldLength,
    regex: {
      budgetMs: settings.limits.regex_budget_ms,
      disableAfter: settings.limits.regex_timeouts,
    },
    sharedTimeouts: new Int32Array(regexTimeouts),
  };
}

export function emptyCounts(): InputCounts {
  return {
    read: 0,
    parsed: 0,
    rejected: 0,
    events: 0,
    rejectedByCode: {},
    skippedRecords: 0,
    skippedByReason: {},
    outOfRange: 0,
    emptyPages: 0,
    error: undefined,
    damage: [],
    interrupted: false,
  };
}

export class FileStage {
  private readonly matchedRules: number[] = [];

  constructor(private readonly options: StageOptions) {}

  /**
   * Reads one prepared input and yields its matched events in input order, a batch per chunk
   * read. `counts` is updated as records are read, and `onRecords` receives each chunk's count.
   */
  async *run(
    prepared: PreparedInput,
    counts: InputCounts,
    onRecords?: (records: number) => void,
  ): AsyncIterable<StageMatch[]> {
    const { logger } = this.options;
    const limit = this.options.loggedRejections ?? DEFAULT_LOGGED_REJECTIONS;
    const summarize = prepared.format?.summarize;
    let logged = 0;
    const onDamage = (reason: string) => counts.damage.push(reason);
    const chunks = readPrepared(prepared, this.options.read, onDamage)[Symbol.asyncIterator]();
    const waits = new StopWaits(this.options.signal);
    let open = true;
    try {
      while (true) {
        const next = await this.nextChunk(chunks, waits, counts);
        if (next === undefined) break;
        if (next.done) {
          open = false;
          break;
        }
        const output = next.value;
        const parsed = output.records ?? output.events.length;
        const skipped = output.skipped ?? [];
        counts.read += parsed + output.rejections.length + skipped.length;
        counts.parsed += parsed;
        counts.rejected += output.rejections.length;
        counts.events += output.events.length;
        counts.skippedRecords += skipped.length;
        counts.emptyPages += output.emptyPages ?? 0;
        for (const record of skipped) {
          counts.skippedByReason[record.reason] = (counts.skippedByReason[record.reason] ?? 0) + 1;
        }
        for (const rejection of output.rejections) {
          counts.rejectedByCode[rejection.code] = (counts.rejectedByCode[rejection.code] ?? 0) + 1;
          if (logged++ < limit) {
            // Binary formats such as EVTX have no lines: their records go by number only.
            const { line } = rejection.origin;
            logger.warn('record rejected', {
              file: rejection.origin.file,
              ...(line > 0 ? { line } : {}),
              record: rejection.origin.record,
              code: rejection.code,
              reason: rejection.message,
              ...(rejection.snippet ? { text: rejection.snippet } : {}),
            });
          }
        }

        const batch: StageMatch[] = [];
        const texts = output.texts;
        const events = output.events;
        for (let index = 0; index < events.length; index++) {
          const event = events[index] as Event;
          const processed = this.process(event, counts, texts?.[index]);
          const match = processed instanceof Promise ? await processed : processed;
          if (!match) continue;
          if (summarize && match.event.summary === '') match.event.summary = summarize(match.event);
          batch.push(match);
        }
        onRecords?.(parsed + output.rejections.length + skipped.length);
        if (batch.length > 0) yield batch;
      }
    } catch (error) {
      counts.error = (error as Error).message;
      logger.error('input read failed', { file: prepared.file.path, error: counts.error });
    } finally {
      waits.close();
      // Closes the input when reading ends early. A read still waiting for data (standard input
      // that a stop cut short) keeps the close waiting too, so it is not awaited.
      if (open) chunks.return?.().catch(() => {});
      if (logged > limit) {
        logger.warn('more records rejected', {
          file: prepared.file.path,
          count: logged - limit,
          hint: '--log-rejections all logs every one',
        });
      }
    }
  }

  /**
   * Reads the next chunk, or returns undefined and marks the input interrupted when the stop
   * comes first: before the read starts, or while it waits for data.
   */
  private async nextChunk<T>(
    chunks: AsyncIterator<T>,
    waits: StopWaits,
    counts: InputCounts,
  ): Promise<IteratorResult<T> | undefined> {
    const signal = this.options.signal;
    const next = signal?.aborted ? STOPPED : await waits.wait(chunks.next());
    if (next !== STOPPED) return next;
    counts.interrupted = true;
    return undefined;
  }

  /**
   * Runs one event through the stage. It returns a promise only when the event's address is
   * not in the geolocation cache, so that most events take no trip through the job queue.
   */
  private process(
    event: Event,
    counts: InputCounts,
    text: string | undefined,
  ): StageMatch | undefined | Promise<StageMatch | undefined> {
    const { huntFrom, timeRange, enricher, geo } = this.options;
    if (huntFrom !== undefined && event.time < huntFrom) return undefined;
    if (outsideRange(event.time, timeRange)) {
      counts.outOfRange++;
      return undefined;
    }

    enricher.enrich(event);
    const party = event.extra['trust.party'];
    if (typeof party === 'string') countActivity(this.options.activity, party, event.time);

    if (geo && event.core.srcIp !== undefined) {
      const known = geo.cached(event.core.srcIp);
      if (known === undefined) {
        return geo.lookup(event.core.srcIp).then((info) => {
          applyGeo(event, info);
          return this.detect(event, text);
        });
      }
      applyGeo(event, known);
    }
    return this.detect(event, text);
  }

  /**
   * Adds baseline facts to an enriched event and runs the detection rules on it, with the JSON
   * text of its record when the format keeps it (`textHoldsValues`).
   */
  private detect(event: Event, text: string | undefined): StageMatch | undefined {
    const { baseline, learnUntil, detector } = this.options;
    if (baseline) {
      const learn = learnUntil === undefined || event.time < learnUntil;
      (learn ? baseline.learning : baseline.readOnly).enrich(event);
    }

    const timeoutsBefore = detector.regexTimeouts.total;
    detector.detect(event, this.matchedRules, text);
    if (detector.regexTimeouts.total !== timeoutsBefore) this.logRegexTimeout(event);
    if (this.matchedRules.length === 0) return undefined;
    return { time: event.time, event, rules: [...this.matchedRules] };
  }

  private logRegexTimeout(event: Event): void {
    const detector = this.options.detector;
    const { total, lastRule } = detector.regexTimeouts;
    if (total > LOGGED_REGEX_TIMEOUTS) return;
    this.options.logger.warn('regular expression ran over its time budget; counted as no match', {
      rule: lastRule,
      file: event.origin.file,
      record: event.origin.record,
      rule_timeouts: lastRule === undefined ? undefined : detector.regexTimeoutsOf(lastRule),
    });
  }
}

function outsideRange(time: number, range: TimeRange | undefined): boolean {
  if (!range) return false;
  if (range.since !== undefined && !(time >= range.since)) return true;
  return range.until !== undefined && !(time < range.until);
}

function countActivity(
  activity: Map<string, Map<number, number>>,
  party: string,
  time: number,
): void {
  let hours = activity.get(party);
  if (!hours) {
    hours = new Map();
    activity.set(party, hours);
  }
  const hour = Math.floor(time / HOUR_MS) * HOUR_MS;
  hours.set(hour, (hours.get(hour) ?? 0) + 1);
}

/** Adds the activity counts of `from` into `into`. */
export function mergeActivity(
  into: Map<string, Map<number, number>>,
  from: Iterable<[string, Iterable<[number, number]>]>,
): void {
  for (const [party, hours] of from) {
    let target = into.get(party);
    if (!target) {
      target = new Map();
      into.set(party, target);
    }
    for (const [hour, count] of hours) target.set(hour, (target.get(hour) ?? 0) + count);
  }
}
