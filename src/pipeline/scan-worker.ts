import { parentPort, workerData } from 'node:worker_threads';
import { compileContext } from '../context/load.js';
import { Detector } from '../engine/detector.js';
import { BaselineEnricher, SightingSet } from '../enrich/baseline.js';
import { GeoResolver } from '../enrich/geo.js';
import { TrustEnricher } from '../enrich/trust.js';
import { reopenInput } from '../input/expand.js';
import type { LogFields, Logger } from '../model/logger.js';
import { keepFactsAtLoad } from '../rules/compiled-at-load.js';
import type { DetectionRule } from '../rules/rule.js';
import type { PreparedInput } from '../sources/read.js';
import { createFormatRegistry } from '../sources/registry.js';
import { emptyCounts, FileStage, stageDetectorOptions } from './file-stage.js';
import type { FileTask, FromWorker, ToWorker, WorkerInit } from './worker-messages.js';

/**
 * A scan's worker thread: it runs the per-input stage (file-stage.ts) on the inputs the scan
 * hands it, one at a time, and sends back the matched events in input order. It stops sending
 * an input's events once `credit` of them wait in the scan, until the scan takes some.
 */

const port = parentPort;
if (!port) throw new Error('scan-worker.ts runs only as a worker thread');
const init = workerData as WorkerInit;

function send(message: FromWorker): void {
  port?.postMessage(message);
}

/** Sends log entries to the scan, which writes them with its own logger. */
class PortLogger implements Logger {
  constructor(private readonly bound: LogFields = {}) {}

  debug(message: string, fields?: LogFields): void {
    send({ type: 'log', level: 'debug', message, fields: { ...this.bound, ...fields } });
  }

  info(message: string, fields?: LogFields): void {
    send({ type: 'log', level: 'info', message, fields: { ...this.bound, ...fields } });
  }

  warn(message: string, fields?: LogFields): void {
    send({ type: 'log', level: 'warn', message, fields: { ...this.bound, ...fields } });
  }

  error(message: string, fields?: LogFields): void {
    send({ type: 'log', level: 'error', message, fields: { ...this.bound, ...fields } });
  }

  child(fields: LogFields): Logger {
    return new PortLogger({ ...this.bound, ...fields });
  }
}

const logger = new PortLogger();
const context = compileContext(init.context.file, init.context.config, () => {});
const detectorOptions = stageDetectorOptions(
  context,
  init.settings.limits.maxFieldLength,
  init.regexTimeouts,
);
const detectionRules: DetectionRule[] = [];
init.rules.forEach((rule, index) => {
  if (rule.kind !== 'detection') return;
  detectionRules.push(rule);
  // The scan's placeholders come from the same settings as this thread's.
  const facts = init.facts[index];
  if (facts) keepFactsAtLoad(rule, facts, detectorOptions.placeholders);
});
const detector = new Detector(detectionRules, init.mappings, detectorOptions);

const snapshot = new SightingSet();
for (const sighting of init.baseline?.snapshot ?? []) snapshot.add(sighting);
const learning = init.baseline?.learning ? new SightingSet() : undefined;
const activity = new Map<string, Map<number, number>>();
const registry = createFormatRegistry();
const stop = new AbortController();

const stage = new FileStage({
  read: {
    settings: init.settings,
    logger,
    ...(init.format !== undefined ? { format: init.format } : {}),
  },
  logger,
  enricher: new TrustEnricher(context),
  detector,
  ...(init.geo ? { geo: new GeoResolver(init.geo) } : {}),
  ...(init.baseline
    ? {
        baseline: {
          learning: new BaselineEnricher(snapshot, learning, context.domains),
          readOnly: new BaselineEnricher(snapshot, undefined, context.domains),
        },
      }
    : {}),
  ...(init.learnUntil !== undefined ? { learnUntil: init.learnUntil } : {}),
  ...(init.huntFrom !== undefined ? { huntFrom: init.huntFrom } : {}),
  ...(init.loggedRejections !== undefined ? { loggedRejections: init.loggedRejections } : {}),
  ...(init.timeRange ? { timeRange: init.timeRange } : {}),
  activity,
  signal: stop.signal,
});

/** Matched events sent per input and not yet taken by the scan. */
const outstanding = new Map<number, number>();
const unbounded = new Set<number>();
let wakeUp: (() => void) | undefined;
const tasks: FileTask[] = [];
let finishing = false;
let busy = false;

async function waitForCredit(id: number): Promise<void> {
  while (!stop.signal.aborted && !unbounded.has(id) && (outstanding.get(id) ?? 0) >= init.credit) {
    await new Promise<void>((resolve) => {
      wakeUp = resolve;
    });
  }
}

async function runTask(task: FileTask): Promise<void> {
  const prepared: PreparedInput = {
    file: reopenInput(
      { path: task.path, key: task.key, size: task.size, mtimeMs: task.mtimeMs },
      task.locator,
    ),
    format: registry.get(task.format),
    encoding: task.encoding,
    ...(task.jsonLayout ? { jsonLayout: task.jsonLayout } : {}),
  };
  const counts = emptyCounts();
  if (stop.signal.aborted) {
    counts.interrupted = true;
    send({ type: 'done', id: task.id, counts, records: 0 });
    return;
  }
  let records = 0;
  outstanding.set(task.id, 0);
  for await (const matches of stage.run(prepared, counts, (read) => {
    records += read;
  })) {
    send({ type: 'batch', id: task.id, matches, counts, records });
    records = 0;
    outstanding.set(task.id, (outstanding.get(task.id) ?? 0) + matches.length);
    await waitForCredit(task.id);
  }
  send({ type: 'done', id: task.id, counts, records });
  outstanding.delete(task.id);
  unbounded.delete(task.id);
}

async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    for (let task = tasks.shift(); task; task = tasks.shift()) await runTask(task);
  } finally {
    busy = false;
  }
  if (finishing) finish();
}

function finish(): void {
  detector.close();
  send({
    type: 'final',
    detection: detector.stats,
    regexTimeouts: [...detector.regexTimeouts.byRule],
    regexSpent: [...detector.regexTimeouts.spent],
    activity: [...activity].map(([party, hours]) => [party, [...hours]]),
    learned: learning ? [...learning.values()] : [],
  });
  port?.close();
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'file') {
    tasks.push(message);
    void drain();
  } else if (message.type === 'credit') {
    const sent = outstanding.get(message.id);
    if (sent !== undefined) outstanding.set(message.id, sent - message.count);
    wakeUp?.();
  } else if (message.type === 'unbounded') {
    unbounded.add(message.id);
    wakeUp?.();
  } else if (message.type === 'stop') {
    stop.abort();
    wakeUp?.();
  } else {
    finishing = true;
    if (!busy) finish();
  }
});

send({ type: 'ready' });
