/** State shared by the row groups of one benchmark run. */
import type { BenchOptions } from './options.js';
import type { ScanRun } from './scan.js';
import type { Row } from './table.js';

export interface BenchRun {
  options: BenchOptions;
  /** Scratch folder of this run, inside the cache folder. */
  scratch: string;
  cache: string;
  /** The unzipped OTRF NDJSON files. */
  otrfFiles: string[];
  /** The SigmaHQ Windows rules folder. */
  sigmaRules: string;
  rows: Row[];
  /** Lines printed under the table, one per fact that does not fit a row. */
  notes: string[];
  /** Events per second of the bare ceiling on the OTRF files, once measured. */
  ceilingRate?: number;
  /** The scan with SigmaHQ and the pack on one worker, which the workers row reuses. */
  sigmaScanOneWorker?: ScanRun;
}

/** The measures of a row: seconds, CPU seconds and memory are medians over `runs`. */
export interface Measured {
  events: number;
  seconds: number;
  runs: number;
  cpuSeconds?: number | undefined;
  peakRssMiB?: number | undefined;
}

/** Adds a row; its ratio is taken against the OTRF ceiling. */
export function addRow(
  run: BenchRun,
  group: number,
  label: string,
  measured: Measured,
  note: string,
): Row {
  const { events, seconds, runs, cpuSeconds, peakRssMiB } = measured;
  const row: Row = { group, label, events, seconds, runs, cpuSeconds, peakRssMiB, note };
  row.ceilingRate = run.ceilingRate;
  run.rows.push(row);
  return row;
}

/** Adds a row made from a measured scan; its events are the records the scan parsed. */
export function scanRow(run: BenchRun, group: number, label: string, scan: ScanRun, note: string) {
  const row = addRow(run, group, label, { ...scan, events: scan.parsed }, note);
  row.ceilingRatio = scan.ceilingRatio;
  return row;
}
