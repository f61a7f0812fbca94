import type { Readable } from 'node:stream';
import { detectionFinding } from '../alert/build.js';
import { AlertStage } from '../alert/stage.js';
import type { TrustContext } from '../context/context.js';
import type { StepOverride } from '../engine/correlate/chain.js';
import { Correlator } from '../engine/correlator.js';
import { Detector, type DetectorStats } from '../engine/detector.js';
import type { Finding } from '../engine/finding.js';
import { type MergeSource, type MergeStats, mergeByTime } from '../engine/merge.js';
import { BaselineEnricher, type SightingSet } from '../enrich/baseline.js';
import { applyGeo, type GeoResolver } from '../enrich/geo.js';
import { TrustEnricher } from '../enrich/trust.js';
import { expandPaths } from '../input/expand.js';
import type { Alert } from '../model/alert.js';
import { parseDuration } from '../model/duration.js';
import type { Event } from '../model/event.js';
import type { Clock, Logger } from '../model/logger.js';
import type { IndexedMapping } from '../rules/logsources/mapping.js';
import { placeholderLookup } from '../rules/placeholders.js';
import type { CorrelationRule, DetectionRule, Rule } from '../rules/rule.js';
import { countHit, type RuleHits } from '../sinks/hit-table.js';
import type { SourceSettings } from '../sources/format.js';
import { type PreparedInput, prepareInput, readPrepared } from '../sources/read.js';
import type { FormatRegistry } from '../sources/registry.js';

/**
 * The batch scan: inputs → sources → trust enrichment → detection, per input; then the matched
 * events of all inputs merged in event-time order → correlation → alerts. Only matched events
 * cross from the per-input stage to the merge, so the merge holds little however large the input.
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
  /** Baselines read by enrichment, and a set that collects the scan's sightings when learning. */
  baseline?: { snapshot: SightingSet; learning?: SightingSet };
  /** Only events before this time add to the baseline being learned; all when absent. */
  learnUntil?: number;
  /** Events before this time are skipped after reading (a learning period scanned apart). */
  huntFrom?: number;
  /** Only events at or after `since` and before `until` (epoch ms) are evaluated. */
  timeRange?: TimeRange;
}

export interface TimeRange {
  since?: number;
  until?: number;
}

export interface FileStats {
  path: string;
  format: string | undefined;
  /** Records read: parsed plus rejected. */
  read: number;
  /** Records that went into events. */
  parsed: number;
  rejected: number;
  /** Events made, fewer than parsed records where a format joins records (audit logs). */
  events: number;
  rejectedByCode: Record<string, number>;
  /** Parsed events left out by the time range. */
  outOfRange: number;
  /** Why the input could not be read at all. */
  error: string | undefined;
  /** The note for a recognised input with nothing to read (a CloudTrail digest file). */
  skipped: string | undefined;
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
  durationMs: number;
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

/** Rejections logged per input before the rest are only counted. */
const LOGGED_REJECTIONS_PER_FILE = 5;

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

/** Whether an address is in a party's networks, by party name. */
export function partyNetworks(context: TrustContext) {
  const byName = new Map(context.parties.map((party) => [party.name, party]));
  return (name: string, address: string): boolean =>
    byName.get(name)?.networks.has(address) ?? false;
}

function outsideRange(time: number, range: TimeRange | undefined): boolean {
  if (!range) return false;
  if (range.since !== undefined && !(time >= range.since)) return true;
  return range.until !== undefined && !(time < range.until);
}

export async function runScan(config: ScanConfig, hooks: ScanHooks): Promise<ScanSummary> {
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
  const detector = new Detector(detectionRules, config.mappings, {
    placeholders: placeholderLookup(
      config.context.settings.placeholders,
      config.context.settings.unresolved_placeholders,
    ),
    maxFieldLength: settings.limits.maxFieldLength,
  });
  const correlator = new Correlator(config.rules, {
    stepOverride: stepOverride(config.context),
    inPartyNetworks: partyNetworks(config.context),
    partyHasNetworks: partyHasNetworks(config.context),
  });
  const enricher = new TrustEnricher(config.context);
  const geo = config.geo;
  const { learnUntil, huntFrom } = config;
  const baseline = config.baseline
    ? new BaselineEnricher(config.baseline.snapshot, config.baseline.learning)
    : undefined;
  const baselineReadOnly = config.baseline
    ? new BaselineEnricher(config.baseline.snapshot, undefined)
    : undefined;

  const files = await expandPaths(config.paths, {
    logger: config.logger,
    ...(config.stdin ? { stdin: config.stdin } : {}),
  });
  const inputKeys = new Map(files.map((file) => [file.path, file.key]));
  const stats: FileStats[] = [];
  const progress: ScanProgress = { filesDone: 0, filesTotal: files.length, records: 0, bytes: 0 };
  const sources: MergeSource<Matched>[] = [];

  for (const file of files) {
    const fileStats: FileStats = {
      path: file.path,
      format: undefined,
      read: 0,
      parsed: 0,
      rejected: 0,
      events: 0,
      rejectedByCode: {},
      outOfRange: 0,
      error: undefined,
      skipped: undefined,
    };
    stats.push(fileStats);
    let prepared: PreparedInput;
    try {
      prepared = await prepareInput(file, config.registry, readOptions);
    } catch (error) {
      fileStats.error = (error as Error).message;
      config.logger.error('input cannot be read', { file: file.path, error: fileStats.error });
      progress.filesDone++;
      continue;
    }
    if (!prepared.format && !prepared.rejected) {
      fileStats.error = prepared.reason ?? 'unknown format';
      config.logger.warn('input skipped: no format matches', {
        file: file.path,
        reason: fileStats.error,
      });
      progress.filesDone++;
      continue;
    }
    fileStats.format = prepared.format?.name;
    if (prepared.skipped !== undefined) {
      fileStats.skipped = prepared.skipped;
      config.logger.info('input skipped', { file: file.path, reason: prepared.skipped });
      progress.filesDone++;
      continue;
    }
    sources.push({
      firstTime: prepared.firstTime,
      open: () => readMatched(prepared, fileStats)[Symbol.asyncIterator](),
    });
  }

  const matchedRules: number[] = [];
  async function* readMatched(
    prepared: PreparedInput,
    fileStats: FileStats,
  ): AsyncIterable<Matched[]> {
    let logged = 0;
    try {
      for await (const output of readPrepared(prepared, readOptions)) {
        const parsed = output.records ?? output.events.length;
        fileStats.read += parsed + output.rejections.length;
        fileStats.parsed += parsed;
        fileStats.rejected += output.rejections.length;
        fileStats.events += output.events.length;
        progress.records += parsed + output.rejections.length;
        for (const rejection of output.rejections) {
          fileStats.rejectedByCode[rejection.code] =
            (fileStats.rejectedByCode[rejection.code] ?? 0) + 1;
          if (logged++ < LOGGED_REJECTIONS_PER_FILE) {
            config.logger.warn('record rejected', {
              file: rejection.origin.file,
              line: rejection.origin.line,
              record: rejection.origin.record,
              code: rejection.code,
              reason: rejection.message,
              ...(rejection.snippet ? { text: rejection.snippet } : {}),
            });
          }
        }

        const batch: Matched[] = [];
        for (const event of output.events) {
          if (huntFrom !== undefined && event.time < huntFrom) continue;
          if (outsideRange(event.time, config.timeRange)) {
            fileStats.outOfRange++;
            continue;
          }
          enricher.enrich(event);
          const party = event.extra['trust.party'];
          if (typeof party === 'string') countActivity(summary.activity, party, event.time);

          if (geo && event.core.srcIp !== undefined) {
            const known = geo.cached(event.core.srcIp);
            applyGeo(event, known === undefined ? await geo.lookup(event.core.srcIp) : known);
          }
          if (baseline) {
            const learn = learnUntil === undefined || event.time < learnUntil;
            (learn ? baseline : baselineReadOnly)?.enrich(event);
          }
          detector.detect(event, matchedRules);
          if (matchedRules.length === 0) continue;
          batch.push({
            time: event.time,
            event,
            rules: matchedRules.map((index) => detectionRules[index] as DetectionRule),
          });
        }
        hooks.progress?.(progress);
        if (batch.length > 0) yield batch;
      }
    } catch (error) {
      fileStats.error = (error as Error).message;
      config.logger.error('input read failed', { file: fileStats.path, error: fileStats.error });
    } finally {
      progress.filesDone++;
      if (logged > LOGGED_REJECTIONS_PER_FILE) {
        config.logger.warn('more records rejected', {
          file: fileStats.path,
          count: logged - LOGGED_REJECTIONS_PER_FILE,
        });
      }
    }
  }

  const summary: ScanSummary = {
    files: stats,
    events: 0,
    alerts: 0,
    suppressed: 0,
    alertsByRule: new Map(),
    alertsByParty: new Map(),
    late: 0,
    unmappedRules: detector.unmapped,
    activity: new Map(),

    detection: detector.stats,
    durationMs: 0,
  };
  const matchedBy = new WeakMap<Event, DetectionRule[]>();
  const stage = new AlertStage(
    {
      allow: config.context.allow,
      privilegedTargets: privilegedTargets(config.context),
      matchedRules: (event) => matchedBy.get(event) ?? [],
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
    stage.push(findings, matched.time);
    findings.length = 0;
  }
  correlator.flush(findings);
  stage.push(findings, lastTime);
  stage.flush();

  summary.events = stats.reduce((sum, file) => sum + file.events, 0);
  summary.late = mergeStats.late_total;
  summary.durationMs = config.clock.now() - started;
  return summary;
}

const HOUR_MS = 3_600_000;

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
