import type { ContextConfig } from '../context/schema.js';
import type { DetectorStats } from '../engine/detector.js';
import type { Sighting } from '../enrich/baseline.js';
import type { GeoOptions } from '../enrich/geo.js';
import type { InputLocator } from '../input/input-file.js';
import type { JsonLayout } from '../input/json-records.js';
import type { TextEncoding } from '../input/text.js';
import type { LogFields } from '../model/logger.js';
import type { FactsAtLoad } from '../rules/compiled-at-load.js';
import type { IndexedMapping } from '../rules/logsources/mapping.js';
import type { RegexSpending } from '../rules/regex-guard.js';
import type { Rule } from '../rules/rule.js';
import type { SourceSettings } from '../sources/format.js';
import type { InputCounts, StageMatch, TimeRange } from './file-stage.js';

/**
 * Messages between a scan and its worker threads (scan-pool.ts, scan-worker.ts). Everything in
 * them is structured-cloneable data: workers compile the context and the rules again.
 */

/** Start-up data of every worker thread. */
export interface WorkerInit {
  context: { file: string | undefined; config: ContextConfig };
  /** All rules of the scan; detection rules are referred to by their index among them. */
  rules: Rule[];
  /**
   * The facts of each detection rule's compile at load, by its index in `rules`, so that the
   * thread compiles only the rules that run. Null for the other rules and for a rule without
   * them.
   */
  facts: (FactsAtLoad | null)[];
  mappings: IndexedMapping[];
  settings: SourceSettings;
  /** Format name that overrides detection for every input. */
  format: string | undefined;
  /** Geolocation options, or undefined when geolocation is off. */
  geo: GeoOptions | undefined;
  baseline: { snapshot: Sighting[]; learning: boolean } | undefined;
  learnUntil: number | undefined;
  huntFrom: number | undefined;
  /** Rejected records logged per input; undefined for the default. */
  loggedRejections: number | undefined;
  timeRange: TimeRange | undefined;
  /** Matched events a worker sends of one input before it waits for the scan to take them. */
  credit: number;
  /** Regular expression timeouts per detection rule, counted by every thread of the scan. */
  regexTimeouts: SharedArrayBuffer;
}

/** One input for a worker to read, prepared (format chosen) by the scan. */
export interface FileTask {
  type: 'file';
  id: number;
  path: string;
  key: string;
  size: number | undefined;
  mtimeMs: number | undefined;
  locator: InputLocator;
  format: string;
  encoding: TextEncoding;
  jsonLayout: JsonLayout | undefined;
}

export type ToWorker =
  | FileTask
  /** The scan took `count` matched events of input `id`. */
  | { type: 'credit'; id: number; count: number }
  /** Input `id` may send without waiting, since the scan waits for an input not yet started. */
  | { type: 'unbounded'; id: number }
  /** The scan was stopped: end the running input at its next chunk and skip the others. */
  | { type: 'stop' }
  | { type: 'finish' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'batch'; id: number; matches: StageMatch[]; counts: InputCounts; records: number }
  | { type: 'done'; id: number; counts: InputCounts; records: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; fields?: LogFields }
  | {
      type: 'final';
      detection: DetectorStats;
      regexTimeouts: [string, number][];
      regexSpent: [string, RegexSpending][];
      activity: [string, [number, number][]][];
      learned: Sighting[];
    };
