import type { OpenCorrelations } from '../engine/correlator.js';
import { countOf } from '../model/problem.js';
import type { FileStats } from '../pipeline/scan.js';
import type { StopSignalName } from './stop-signals.js';

/**
 * The last lines of a scan that did not end as asked: one stopped by a signal, or one whose
 * standard output failed before every alert was written to it.
 */

/** The places besides standard output that keep a scan's alerts. */
export interface AlertKeepers {
  /** The `--db` path; `:memory:` keeps nothing. */
  db: string;
  report: string | undefined;
}

/** Counts the inputs read to their end: neither stopped part way nor failed. */
export function inputsReadInFull(files: readonly FileStats[]): number {
  return files.filter((file) => !file.interrupted && file.error === undefined).length;
}

/**
 * Returns the line for alerts lost to standard output, such as `standard output was closed after 1 of
 * 13 alerts were written to it; all 13 are stored in trustwatch.db`.
 */
export function outputLossLine(
  failure: string,
  written: number,
  total: number,
  keepers: AlertKeepers,
): string {
  const head = `trustwatch: ${failure} after ${written} of ${total} alerts were written to it`;
  if (written >= total) return `${head}; no alert was lost`;
  const places = [
    ...(keepers.db === ':memory:' ? [] : [keepers.db]),
    ...(keepers.report === undefined ? [] : [`the report ${keepers.report}`]),
  ];
  if (places.length === 0) {
    return `${head}; the other ${total - written} are lost, because --db :memory: keeps nothing`;
  }
  return `${head}; all ${total} are stored in ${places.join(' and in ')}`;
}

export interface StopFacts {
  signal: StopSignalName;
  alerts: number;
  newAlerts: number;
  files: readonly FileStats[];
  dropped: OpenCorrelations | undefined;
  /** Set when `--learn` asked for baselines, which a stopped scan does not save. */
  learn: boolean;
}

/**
 * Returns the line for a scan that a signal stopped, such as `scan interrupted by SIGINT: 305 alerts
 * stored in trustwatch.db (280 new); 3 of 10 inputs were read in full; 2 open chains (1 complete)
 * were dropped, not raised as alerts`. A complete chain reached its last step and would have been
 * raised once its windows passed or its inputs ended.
 */
export function interruptedLine(facts: StopFacts, db: string): string {
  const parts = [`trustwatch: scan interrupted by ${facts.signal}`];
  const alerts = countOf(facts.alerts, 'alert');
  parts.push(
    db === ':memory:'
      ? `${alerts} raised and not kept (--db :memory:)`
      : `${alerts} stored in ${db} (${facts.newAlerts} new)`,
  );
  const read = inputsReadInFull(facts.files);
  parts.push(`${read} of ${facts.files.length} inputs were read in full`);
  const dropped = droppedText(facts.dropped);
  if (dropped !== undefined) parts.push(dropped);
  if (facts.learn) parts.push('no baselines were saved (--learn)');
  return `${parts[0]}: ${parts.slice(1).join('; ')}`;
}

/** Returns the note at the top of the report of a stopped scan. */
export function partialReportNote(signal: StopSignalName, files: readonly FileStats[]): string {
  const read = inputsReadInFull(files);
  return `The scan was interrupted by ${signal} with ${read} of ${files.length} inputs read in full, so this report lists only the alerts raised until then.`;
}

/** Describes the dropped state: `1 open chain (complete) was dropped, not raised as an alert`. */
function droppedText(dropped: OpenCorrelations | undefined): string | undefined {
  if (!dropped || dropped.chains + dropped.groups === 0) return undefined;
  const kinds: string[] = [];
  if (dropped.chains > 0) {
    const complete = dropped.chains === 1 ? 'complete' : `${dropped.completeChains} complete`;
    const note = dropped.completeChains > 0 ? ` (${complete})` : '';
    kinds.push(`${countOf(dropped.chains, 'open chain')}${note}`);
  }
  if (dropped.groups > 0) kinds.push(countOf(dropped.groups, 'open correlation group'));
  const one = dropped.chains + dropped.groups === 1;
  const verb = one ? 'was dropped, not raised as an alert' : 'were dropped, not raised as alerts';
  return `${kinds.join(' and ')} ${verb}`;
}
