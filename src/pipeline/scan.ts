import type { Readable } from 'node:stream';
import { detectionFinding } from '../alert/build.js';
import { ruleLookup } from '../alert/evidence-rules.js';
import { AlertStage } from '../alert/stage.js';
import type { TrustContext } from '../context/context.js';
import type { StepOverride } from '../engine/correlate/chain.js';
import { Correlator, type OpenCorrelations } from '../engine/correlator.js';
import { Detector, type DetectorStats, unmappedRules } from '../engine/detector.js';
import type { Finding } from '../engine/finding.js';
import { type MergeSource, type MergeStats, mergeByTime } from '../engine/merge.js';
import { BaselineEnricher, type SightingSet } from '../enrich/baseline.js';
import { GeoResolver } from '../enrich/geo.js';
import { TrustEnricher } from '../enrich/trust.js';
import { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS } from '../input/archive/limits.js';
import { ArchiveSpool } from '../input/archive/spool.js';
import { expandPaths } from '../input/expand.js';
import type { InputFile } from '../input/input-file.js';
import type { Alert } from '../model/alert.js';
import { parseDuration } from '../model/duration.js';
import type { Event } from '../model/event.js';
import type { Clock, Logger } from '../model/logger.js';
import { factsAtLoad } from '../rules/compiled-at-load.js';
import type { IndexedMapping } from '../rules/logsources/mapping.js';
import { placeholderLookup } from '../rules/placeholders.js';
import { addSpending, type RegexSpending } from '../rules/regex-guard.js';
import type { CorrelationRule, DetectionRule, Rule } from '../rules/rule.js';
import { countHit, type RuleHits } from '../sinks/hit-table.js';
import type { SourceSettings } from '../sources/format.js';
import { type PreparedInput, prepareInput, type ReadOptions } from '../sources/read.js';
import type { FormatRegistry } from '../sources/registry.js';
import {
  emptyCounts,
  FileStage,
  mergeActivity,
  type StageMatch,
  stageDetectorOptions,
  type TimeRange,
} from './file-stage.js';
import { type PoolTotals, ScanPool } from './scan-pool.js';
import { STOPPED, unlessStopped } from './stop.js';
import type { WorkerInit } from './worker-messages.js';

/**
 * The batch scan: inputs → sources → trust enrichment → detection, per input (file-stage.ts, in
 * this thread or in worker threads); then the matched events of all inputs merged in event-time
 * order → correlation → alerts. Only matched events cross from the per-input stage to the merge,
 * so the merge holds little however large the input.
 */

export interface ScanConfig {
  paths: readonly string[];
  /** Format name that overrides detection for every input. */
  format?: string;
  context: TrustContext;
  rules: readonly Rule[];
  registry: FormatRegistry;
  mappings: readonly IndexedMapping[];
  logger: Logger;
  clock: Clock;
  stdin?: () => Readable;
  /** Resolves source addresses to geo.*; geolocation is off without it. */
  geo?: GeoResolver;
  /**
   * Baselines read by enrichment, their actors keyed by the context's domains (`keyActors`), and
   * a set that collects the scan's sightings when learning.
   */
  baseline?: { snapshot: SightingSet; learning?: SightingSet };
  /** Only events before this time add to the baseline being learned; all when absent. */
  learnUntil?: number;
  /** Events before this time are skipped after reading (a learning period scanned apart). */
  huntFrom?: number;
  /** Rejected records logged per input; the rest are only counted (default 5). */
  loggedRejections?: number;
  /** Only events at or after `since` and before `until` (epoch ms) are evaluated. */
  timeRange?: TimeRange;
  /**
   * Threads that read, parse and detect, one input at a time each (default 1: this thread
   * only). Worker threads read files and zip entries with the built-in formats; standard
   * input and a custom `geo` are read in this thread.
   */
  workers?: number;
  /**
   * Input bytes per worker thread: at most one thread per this many bytes of the inputs that
   * threads can read, where an input of unknown size counts as this many. Below two such
   * threads, the scan starts none, because a thread takes about a second to load its rules.
   * When unset, `workers` alone sets the count.
   */
  bytesPerWorker?: number;
  /**
   * Stops the scan part way: no further input is read or opened, the matched events already read
   * still pass through correlation, and the correlation state left open is dropped, not flushed.
   */
  signal?: AbortSignal;
}

export type { TimeRange } from './file-stage.js';

export interface FileStats {
  path: string;
  format: string | undefined;
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
  /** The reason the input could not be read at all, or that reading stopped early. */
  error: string | undefined;
  /**
   * Damage that reading went past, such as bytes after the last gzip member or between members.
   * A damaged gzip member before a valid one lost the records after its damage.
   */
  damage: string[];
  /** The note for a recognised input with nothing to read (a CloudTrail digest file). */
  skipped: string | undefined;
  /** Set when the scan was stopped before the end of this input, or before it was opened. */
  interrupted: boolean;
}

export interface ScanSummary {
  files: FileStats[];
  events: number;
  alerts: number;
  /** Alerts the allow-list marked as suppressed (counted in `alerts` too). */
  suppressed: number;
  /** Alerts per rule id. */
  alertsByRule: Map<string, RuleHits>;
  alertsByParty: Map<string, number>;
  /** Matched events that arrived out of order beyond the reorder buffer. */
  late: number;
  /** Detection rules whose log source no mapping provides. */
  unmappedRules: DetectionRule[];
  /** Events of each party per hour (epoch ms of the hour's start). */
  activity: Map<string, Map<number, number>>;
  /** How many rule evaluations the detector's index let through, over how many events. */
  detection: DetectorStats;
  /** Regular expression evaluations that ran over `settings.limits.regex_budget_ms`, per rule. */
  regexTimeouts: Map<string, number>;
  /** Timeouts of one rule after which its time-limited expressions stopped running. */
  regexTimeoutLimit: number;
  /** Time spent in time-limited regular expression evaluations, per rule. */
  regexSpent: Map<string, RegexSpending>;
  durationMs: number;
  /** The correlation state dropped because `signal` stopped the scan before its inputs ended. */
  dropped?: OpenCorrelations;
}

export interface ScanProgress {
  filesDone: number;
  filesTotal: number;
  records: number;
  bytes: number;
}

export interface ScanHooks {
  alert(alert: Alert): void;
  progress?(progress: ScanProgress): void;
}

interface Matched {
  time: number;
  event: Event;
  rules: DetectionRule[];
}

/** Names of privileged groups and roles, for alert severity. */
function privilegedTargets(context: TrustContext): Set<string> {
  const lookup = placeholderLookup(context.settings.placeholders);
  const names = [
    ...(lookup.values('privileged_groups') ?? []),
    ...(lookup.values('privileged_roles') ?? []),
  ];
  return new Set(names.map((name) => String(name).toLowerCase()));
}

export function sourceSettings(context: TrustContext): SourceSettings {
  const settings = context.settings;
  return {
    syslog: { ...settings.syslog },
    limits: {
      maxRecordLength: settings.limits.max_record_length,
      maxDepth: settings.limits.max_depth,
      maxFieldLength: settings.limits.max_field_length,
    },
    missingTime: settings.missing_time,
  };
}

/** Step windows and thresholds from `settings.chains`, by analytic id or rule name, then step. */
export function stepOverride(context: TrustContext) {
  return (rule: CorrelationRule, step: string): StepOverride | undefined => {
    const chains = context.settings.chains;
    const byAnalytic = rule.meta.analytic ? chains[rule.meta.analytic]?.[step] : undefined;
    const byName = rule.meta.name ? chains[rule.meta.name]?.[step] : undefined;
    const value = byAnalytic ?? byName;
    if (value === undefined) return undefined;
    if (typeof value === 'string') return { withinMs: parseDuration(value) };
    const override: StepOverride = {};
    if (value.within !== undefined) override.withinMs = parseDuration(value.within);
    if (value.count !== undefined) override.count = value.count;
    if (value.window !== undefined) override.windowMs = parseDuration(value.window);
    return override;
  };
}

/** Builds the test of whether a party, by name, lists any networks. */
export function partyHasNetworks(context: TrustContext) {
  const byName = new Map(context.parties.map((party) => [party.name, party]));
  return (name: string): boolean => (byName.get(name)?.networks.size ?? 0) > 0;
}

function archiveLimits(context: TrustContext): ArchiveLimits {
  const limits = context.settings.limits;
  return {
    maxEntries: limits.max_archive_entries,
    maxDepth: limits.max_archive_depth,
    maxRatio: limits.max_archive_ratio,
    freeExpansionBytes: DEFAULT_ARCHIVE_LIMITS.freeExpansionBytes,
    maxPipedBytes: limits.max_piped_archive_bytes,
  };
}

/** Whether an address is in a party's networks, by party name. */
export function partyNetworks(context: TrustContext) {
  const byName = new Map(context.parties.map((party) => [party.name, party]));
  return (name: string, address: string): boolean =>
    byName.get(name)?.networks.has(address) ?? false;
}

export async function runScan(config: ScanConfig, hooks: ScanHooks): Promise<ScanSummary> {
  // Archives that cannot be read in place are written to the spool, which the inputs read from
  // until the scan ends.
  const spool = new ArchiveSpool();
  try {
    return await scanInputs(config, hooks, spool);
  } finally {
    spool.dispose();
  }
}

async function scanInputs(
  config: ScanConfig,
  hooks: ScanHooks,
  spool: ArchiveSpool,
): Promise<ScanSummary> {
  const started = config.clock.now();
  const settings = sourceSettings(config.context);
  const readOptions = {
    settings,
    logger: config.logger,
    ...(config.format ? { format: config.format } : {}),
  };

  const detectionRules = config.rules.filter(
    (rule): rule is DetectionRule => rule.kind === 'detection',
  );
  const correlator = new Correlator(config.rules, {
    stepOverride: stepOverride(config.context),
    inPartyNetworks: partyNetworks(config.context),
    partyHasNetworks: partyHasNetworks(config.context),
    actorKey: (actor) => config.context.domains.actorKey(actor),
  });
  const activity = new Map<string, Map<number, number>>();
  const regexTimeouts = new SharedArrayBuffer(
    Int32Array.BYTES_PER_ELEMENT * Math.max(1, detectionRules.length),
  );

  const files = await expandPaths(config.paths, {
    logger: config.logger,
    limits: archiveLimits(config.context),
    spool,
    ...(config.stdin ? { stdin: config.stdin } : {}),
    ...(config.signal ? { signal: config.signal } : {}),
  });
  const inputKeys = new Map(files.map((file) => [file.path, file.key]));
  const stats: FileStats[] = [];
  const progress: ScanProgress = { filesDone: 0, filesTotal: files.length, records: 0, bytes: 0 };
  const countRecords = (records: number): void => {
    progress.records += records;
    hooks.progress?.(progress);
  };

  // A worker thread starts when an input for it is found, to load the rules while this thread
  // chooses the formats of the rest.
  const pool = createPool(config, settings, files, regexTimeouts, countRecords);
  const readable: { prepared: PreparedInput; fileStats: FileStats }[] = [];
  let forWorkers = 0;
  for (const file of files) {
    const fileStats = emptyFileStats(file.path);
    stats.push(fileStats);
    const prepared = config.signal?.aborted
      ? STOPPED
      : await unlessStopped(prepareOne(file, config, readOptions, fileStats), config.signal);
    if (prepared === STOPPED) fileStats.interrupted = true;
    if (prepared && prepared !== STOPPED) readable.push({ prepared, fileStats });
    else progress.filesDone++;
    if (prepared && prepared !== STOPPED && workerCanRead(prepared)) pool?.reserve(++forWorkers);
  }
  const readers = pool ? addPoolInputs(pool, readable) : new Map<number, PoolReader>();
  const stopPool = () => pool?.stop();
  if (config.signal?.aborted) stopPool();
  else config.signal?.addEventListener('abort', stopPool, { once: true });
  config.logger.debug('worker threads started', { count: pool?.started ?? 0 });

  // This thread detects only the inputs that no worker reads: all of them with one thread.
  let local: { detector: Detector; stage: FileStage } | undefined;
  const localStage = () => {
    local ??= localDetection(config, readOptions, settings, detectionRules, {
      activity,
      regexTimeouts,
    });
    return local.stage;
  };
  // Inputs that the merge reaches after the stop are not opened, and count as interrupted.
  const unopened = new Set<FileStats>();
  const sources: MergeSource<Matched>[] = readable.map(({ prepared, fileStats }, index) => ({
    firstTime: prepared.firstTime,
    open: () => {
      if (config.signal?.aborted) {
        unopened.add(fileStats);
        progress.filesDone++;
        return emptyBatches();
      }
      const batches =
        readers.get(index)?.() ??
        localStage().run(prepared, fileStats, countRecords)[Symbol.asyncIterator]();
      return withRules(batches, detectionRules, () => progress.filesDone++);
    },
  }));

  const summary: ScanSummary = {
    files: stats,
    events: 0,
    alerts: 0,
    suppressed: 0,
    alertsByRule: new Map(),
    alertsByParty: new Map(),
    late: 0,
    unmappedRules: unmappedRules(detectionRules, config.mappings),
    activity,
    detection: {
      evaluations_total: 0,
      events_total: 0,
      verdicts_reused_total: 0,
      lines_reused_total: 0,
    },
    regexTimeouts: new Map(),
    regexSpent: new Map(),
    regexTimeoutLimit: config.context.settings.limits.regex_timeouts,
    durationMs: 0,
  };
  const matchedBy = new WeakMap<Event, DetectionRule[]>();
  const alertStage = new AlertStage(
    {
      allow: config.context.allow,
      groupChainSessions: config.context.settings.group_chain_sessions,
      actorKey: (actor) => config.context.domains.actorKey(actor),
      privilegedTargets: privilegedTargets(config.context),
      matchedRules: (event) => matchedBy.get(event) ?? [],
      ruleByReference: ruleLookup(config.rules),
      inputKey: (file) => inputKeys.get(file) ?? file,
    },
    (alert) => {
      summary.alerts++;
      if (alert.suppressed) summary.suppressed++;
      countHit(
        summary.alertsByRule,
        alert,
        Date.parse(alert.first_time),
        Date.parse(alert.last_time),
      );
      if (alert.party)
        summary.alertsByParty.set(alert.party, (summary.alertsByParty.get(alert.party) ?? 0) + 1);
      hooks.alert(alert);
    },
  );

  const mergeStats: MergeStats = { late_total: 0 };
  const findings: Finding[] = [];
  let lastTime = Number.NEGATIVE_INFINITY;
  try {
    for await (const matched of mergeByTime(
      sources,
      config.context.settings.reorder_buffer,
      mergeStats,
    )) {
      lastTime = Math.max(lastTime, matched.time);
      matchedBy.set(matched.event, matched.rules);
      for (const rule of matched.rules) {
        if (rule.emits) findings.push(detectionFinding(rule, matched.event));
      }
      correlator.push(matched.event, matched.rules, findings);
      alertStage.push(findings, matched.time);
      findings.length = 0;
    }
  } catch (error) {
    await pool?.terminate();
    throw error;
  } finally {
    local?.detector.close();
    config.signal?.removeEventListener('abort', stopPool);
  }
  if (local) {
    const timeouts = local.detector.regexTimeouts;
    addDetectorTotals(summary, local.detector.stats, timeouts.byRule, timeouts.spent);
  }
  if (pool) addPoolTotals(summary, await pool.finish(), config);
  // A pool input's counts come from its thread, so the mark goes on after the pool's last report.
  for (const fileStats of unopened) fileStats.interrupted = true;

  // Open correlation state is flushed only at the real end of the inputs: a scan cut short would
  // raise partial counts and chains as if nothing more were to come.
  if (stats.some((fileStats) => fileStats.interrupted)) summary.dropped = correlator.openState();
  else correlator.flush(findings);
  alertStage.push(findings, lastTime);
  alertStage.flush();

  summary.events = stats.reduce((sum, file) => sum + file.events, 0);
  summary.late = mergeStats.late_total;
  summary.durationMs = config.clock.now() - started;
  return summary;
}

function emptyFileStats(path: string): FileStats {
  return { path, format: undefined, ...emptyCounts(), skipped: undefined };
}

function emptyBatches(): AsyncIterator<Matched[]> {
  return { next: async () => ({ done: true, value: undefined }) };
}

/** Chooses the input's format; records why in `fileStats` and returns undefined when unread. */
async function prepareOne(
  file: InputFile,
  config: ScanConfig,
  readOptions: ReadOptions,
  fileStats: FileStats,
): Promise<PreparedInput | undefined> {
  let prepared: PreparedInput;
  try {
    prepared = await prepareInput(file, config.registry, readOptions);
  } catch (error) {
    fileStats.error = (error as Error).message;
    config.logger.error('input cannot be read', { file: file.path, error: fileStats.error });
    return undefined;
  }
  if (!prepared.format && !prepared.rejected && prepared.skipped === undefined) {
    fileStats.error = prepared.reason ?? 'unknown format';
    config.logger.warn('input skipped: no format matches', {
      file: file.path,
      reason: fileStats.error,
    });
    return undefined;
  }
  fileStats.format = prepared.format?.name;
  if (prepared.skipped !== undefined) {
    fileStats.skipped = prepared.skipped;
    config.logger.info('input skipped', { file: file.path, reason: prepared.skipped });
    return undefined;
  }
  return prepared;
}

/** Builds the detector and the per-input stage of this thread. */
function localDetection(
  config: ScanConfig,
  readOptions: ReadOptions,
  settings: SourceSettings,
  detectionRules: readonly DetectionRule[],
  shared: {
    activity: Map<string, Map<number, number>>;
    regexTimeouts: SharedArrayBuffer;
  },
): { detector: Detector; stage: FileStage } {
  const detector = new Detector(
    detectionRules,
    config.mappings,
    stageDetectorOptions(config.context, settings.limits.maxFieldLength, shared.regexTimeouts),
  );
  const stage = new FileStage({
    read: readOptions,
    logger: config.logger,
    enricher: new TrustEnricher(config.context),
    detector,
    ...(config.geo ? { geo: config.geo } : {}),
    ...(config.baseline
      ? {
          baseline: {
            learning: new BaselineEnricher(
              config.baseline.snapshot,
              config.baseline.learning,
              config.context.domains,
            ),
            readOnly: new BaselineEnricher(
              config.baseline.snapshot,
              undefined,
              config.context.domains,
            ),
          },
        }
      : {}),
    ...(config.learnUntil !== undefined ? { learnUntil: config.learnUntil } : {}),
    ...(config.huntFrom !== undefined ? { huntFrom: config.huntFrom } : {}),
    ...(config.loggedRejections !== undefined ? { loggedRejections: config.loggedRejections } : {}),
    ...(config.timeRange ? { timeRange: config.timeRange } : {}),
    activity: shared.activity,
    ...(config.signal ? { signal: config.signal } : {}),
  });
  return { detector, stage };
}

type PoolReader = () => AsyncIterator<StageMatch[]>;

/**
 * Creates the worker pool when the scan is set to more than one thread and some inputs can be
 * opened again in a thread (files and zip entries). Its size is at most one thread per such
 * input, and one per `bytesPerWorker` of their bytes when that is set. Threads start later.
 */
function createPool(
  config: ScanConfig,
  settings: SourceSettings,
  files: readonly InputFile[],
  regexTimeouts: SharedArrayBuffer,
  countRecords: (records: number) => void,
): ScanPool | undefined {
  const reopenable = files.filter((file) => file.locator !== undefined);
  let threads = Math.min(config.workers ?? 1, reopenable.length);
  const perWorker = config.bytesPerWorker;
  if (perWorker !== undefined) {
    // NOTE: a gzip file counts at its compressed size, so compressed inputs get fewer threads.
    const bytes = reopenable.reduce((sum, file) => sum + (file.size ?? perWorker), 0);
    threads = Math.min(threads, Math.floor(bytes / perWorker));
    if (threads < 2) return undefined;
  }
  if ((config.workers ?? 1) <= 1 || threads === 0) return undefined;
  if (config.geo && !(config.geo instanceof GeoResolver)) return undefined;

  const contextSettings = config.context.settings;
  const placeholders = placeholderLookup(
    contextSettings.placeholders,
    contextSettings.unresolved_placeholders,
  );
  const init: WorkerInit = {
    context: { file: config.context.file, config: config.context.config },
    rules: [...config.rules],
    facts: config.rules.map((rule) =>
      rule.kind === 'detection' ? (factsAtLoad(rule, placeholders) ?? null) : null,
    ),
    mappings: [...config.mappings],
    settings,
    format: config.format,
    geo: config.geo?.options,
    baseline: config.baseline
      ? {
          snapshot: [...config.baseline.snapshot.values()],
          learning: config.baseline.learning !== undefined,
        }
      : undefined,
    learnUntil: config.learnUntil,
    huntFrom: config.huntFrom,
    loggedRejections: config.loggedRejections,
    timeRange: config.timeRange,
    credit: 2 * config.context.settings.reorder_buffer,
    regexTimeouts,
  };
  return new ScanPool(init, threads, config.logger, countRecords);
}

/** Tells whether a worker thread can read a prepared input. */
function workerCanRead(prepared: PreparedInput): boolean {
  const { file, format, rejected } = prepared;
  return file.locator !== undefined && format !== undefined && rejected === undefined;
}

/**
 * Hands the pool the inputs that a worker can read, in the order the merge opens them, and
 * returns their readers by index in `readable`.
 */
function addPoolInputs(
  pool: ScanPool,
  readable: readonly { prepared: PreparedInput; fileStats: FileStats }[],
): Map<number, PoolReader> {
  const eligible = readable
    .map((item, index) => ({ ...item, index }))
    .filter((item) => workerCanRead(item.prepared));
  eligible.sort(
    (a, b) =>
      (a.prepared.firstTime ?? Number.NEGATIVE_INFINITY) -
        (b.prepared.firstTime ?? Number.NEGATIVE_INFINITY) || a.index - b.index,
  );
  const readers = new Map<number, PoolReader>();
  for (const item of eligible) {
    readers.set(item.index, pool.add(item.index, item.prepared, item.fileStats));
  }
  return readers;
}

function addDetectorTotals(
  summary: ScanSummary,
  stats: DetectorStats,
  regexTimeouts: ReadonlyMap<string, number>,
  regexSpent: Iterable<[string, RegexSpending]>,
): void {
  summary.detection.evaluations_total += stats.evaluations_total;
  summary.detection.events_total += stats.events_total;
  summary.detection.verdicts_reused_total += stats.verdicts_reused_total;
  summary.detection.lines_reused_total += stats.lines_reused_total;
  for (const [rule, count] of regexTimeouts) {
    summary.regexTimeouts.set(rule, (summary.regexTimeouts.get(rule) ?? 0) + count);
  }
  addSpending(summary.regexSpent, regexSpent);
}

function addPoolTotals(summary: ScanSummary, totals: PoolTotals, config: ScanConfig): void {
  addDetectorTotals(summary, totals.detection, totals.regexTimeouts, totals.regexSpent);
  mergeActivity(summary.activity, totals.activity);
  const learning = config.baseline?.learning;
  if (learning) for (const sighting of totals.learned) learning.add(sighting);
}

/** Gives the matched events their rules and reports the end of the input once. */
function withRules(
  batches: AsyncIterator<StageMatch[]>,
  rules: readonly DetectionRule[],
  onEnd: () => void,
): AsyncIterator<Matched[]> {
  let ended = false;
  return {
    next: async () => {
      const next = await batches.next();
      if (next.done) {
        if (!ended) onEnd();
        ended = true;
        return { done: true, value: undefined };
      }
      const matched = next.value.map((match) => ({
        time: match.time,
        event: match.event,
        rules: match.rules.map((index) => rules[index] as DetectionRule),
      }));
      return { done: false, value: matched };
    },
  };
}
