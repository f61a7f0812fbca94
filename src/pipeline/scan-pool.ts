import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DetectorStats } from '../engine/detector.js';
import type { Sighting } from '../enrich/baseline.js';
import type { LogFields, Logger } from '../model/logger.js';
import { addSpending, type RegexSpending } from '../rules/regex-guard.js';
import { DAMAGED_HEADER_MESSAGE } from '../sources/csv-header.js';
import { firstCsvWarning, ROW_LIKE_MESSAGE } from '../sources/csv-rows.js';
import type { PreparedInput } from '../sources/read.js';
import { firstInputTimeWarning, INPUT_TIME_MESSAGE } from '../sources/record-time.js';
import type { InputCounts, StageMatch } from './file-stage.js';
import type { FileTask, FromWorker, ToWorker, WorkerInit } from './worker-messages.js';

/**
 * Runs the per-input stage of a scan on worker threads. A thread starts as soon as the scan finds
 * an input for it, so that it loads the rules while the scan chooses the other inputs' formats.
 * Inputs are handed out one per worker in the order the time merge opens them, so the input the
 * merge needs next is always started first. Each input's matched events queue here until the merge takes them; a worker stops
 * sending once `credit` of them wait, so an input read ahead keeps little in memory.
 *
 * Deadlock guard: when the merge waits for an input that no worker has started and every
 * worker is waiting for credit on an input the merge cannot take yet (it waits for the new
 * one), those inputs are told to send without waiting.
 */

interface Task {
  id: number;
  prepared: PreparedInput;
  counts: InputCounts;
  batches: StageMatch[][];
  done: boolean;
  worker: PoolWorker | undefined;
  wake: (() => void) | undefined;
}

interface PoolWorker {
  thread: Worker;
  task: Task | undefined;
  ready: boolean;
  final: Extract<FromWorker, { type: 'final' }> | undefined;
  /** Set by the first report of a crash, since a crash raises `error` and then `exit`. */
  failed: boolean;
  /** Set when `stop` ended the thread while it loaded the rules, with nothing read to count. */
  ended: boolean;
  exited: Promise<void>;
}

export interface PoolTotals {
  detection: DetectorStats;
  regexTimeouts: Map<string, number>;
  regexSpent: Map<string, RegexSpending>;
  activity: [string, [number, number][]][];
  learned: Sighting[];
}

/** Replacement threads started after crashes, per pool thread, before inputs fail instead. */
const RESTARTS_PER_THREAD = 2;

/**
 * Young generation of each thread, in MiB: twice the 48 MiB that Node 20 gives a thread. Parsed
 * records and index keys die young, and collecting them took 5 % of a one-thread scan of OTRF
 * events. With two threads that scan took 9.7 to 9.9 s instead of 10.5 to 10.7 s, and 650
 * instead of 600 MiB at its peak.
 */
const YOUNG_GENERATION_MB = 96;

/**
 * Tests whether a thread's warning about an input was logged already. The main thread parses
 * each input's head to find its first event time, so warnings about the head come twice.
 */
function isRepeatedWarning(logger: Logger, message: string, fields?: LogFields): boolean {
  const file = String(fields?.file);
  if (message === INPUT_TIME_MESSAGE) return !firstInputTimeWarning(logger, file);
  if (message === ROW_LIKE_MESSAGE) return !firstCsvWarning(logger, file, String(fields?.line));
  if (message === DAMAGED_HEADER_MESSAGE) return !firstCsvWarning(logger, file, 'header');
  return false;
}

/**
 * Returns the module of the worker threads. Under tsx (the tests) this module is TypeScript, and
 * the worker inherits tsx's loader. A build uses the worker's bundle (scripts/bundle-cli.mjs)
 * when it exists. The path goes through the folder's name, so that it is also right from the
 * CLI's bundle in dist/cli/.
 */
function workerUrl(): URL {
  if (fileURLToPath(import.meta.url).endsWith('.ts')) {
    return new URL('../pipeline/scan-worker.ts', import.meta.url);
  }
  const bundle = new URL('../pipeline/scan-worker.cjs', import.meta.url);
  if (existsSync(bundle)) return bundle;
  return new URL('../pipeline/scan-worker.js', import.meta.url);
}

export class ScanPool {
  private readonly tasks: Task[] = [];
  private readonly pending: Task[] = [];
  private readonly workers: PoolWorker[] = [];
  private restarts: number;
  /** Threads started by `reserve`, without replacements of crashed ones. */
  private startedThreads = 0;
  /** Set when threads crashed more often than restarts allow; later inputs fail at once. */
  private broken = false;
  private finishing = false;
  /** Set by `terminate`, whose thread exits are not failures. */
  private terminating = false;
  /** Set by `stop`: no input starts any more. */
  private stopped = false;

  constructor(
    private readonly init: WorkerInit,
    private readonly size: number,
    private readonly logger: Logger,
    private readonly onRecords: (records: number) => void,
  ) {
    this.restarts = size * RESTARTS_PER_THREAD;
  }

  /**
   * Adds an input and returns the reader of its matched events for the merge. Inputs must be
   * added in the merge's opening order. An idle thread takes the input at once.
   */
  add(id: number, prepared: PreparedInput, counts: InputCounts): () => AsyncIterator<StageMatch[]> {
    const task: Task = {
      id,
      prepared,
      counts,
      batches: [],
      done: false,
      worker: undefined,
      wake: undefined,
    };
    this.tasks.push(task);
    if (this.stopped) {
      this.skipTask(task);
    } else if (this.broken) {
      this.failTask(task);
    } else {
      this.pending.push(task);
      for (const worker of this.workers) this.assign(worker);
    }
    return () => this.reader(task);
  }

  /**
   * Starts threads until `count` run, or the pool's size; each loads the rules and then waits
   * for inputs.
   */
  reserve(count: number): void {
    while (this.startedThreads < Math.min(count, this.size)) {
      this.startedThreads++;
      this.spawn();
    }
  }

  /** Returns the number of threads started by `reserve`. */
  get started(): number {
    return this.startedThreads;
  }

  /** Ends the threads and returns what they counted; call after every input was read. */
  async finish(): Promise<PoolTotals> {
    this.finishing = true;
    for (const worker of this.workers) worker.thread.postMessage({ type: 'finish' } as ToWorker);
    await Promise.all(this.workers.map((worker) => worker.exited));

    const totals: PoolTotals = {
      detection: {
        evaluations_total: 0,
        events_total: 0,
        verdicts_reused_total: 0,
        lines_reused_total: 0,
      },
      regexTimeouts: new Map(),
      regexSpent: new Map(),
      activity: [],
      learned: [],
    };
    for (const worker of this.workers) {
      const final = worker.final;
      if (!final) continue;
      totals.detection.evaluations_total += final.detection.evaluations_total;
      totals.detection.events_total += final.detection.events_total;
      totals.detection.verdicts_reused_total += final.detection.verdicts_reused_total;
      totals.detection.lines_reused_total += final.detection.lines_reused_total;
      for (const [rule, count] of final.regexTimeouts) {
        totals.regexTimeouts.set(rule, (totals.regexTimeouts.get(rule) ?? 0) + count);
      }
      addSpending(totals.regexSpent, final.regexSpent);
      totals.activity.push(...final.activity);
      totals.learned.push(...final.learned);
    }
    return totals;
  }

  /**
   * Stops reading for a scan that was interrupted: each thread ends its running input at the
   * next chunk, and inputs that no thread started end unread. The matched events received so
   * far stay for the merge, and `finish` still collects the threads' counts.
   */
  stop(): void {
    this.stopped = true;
    for (const task of this.pending.splice(0)) this.skipTask(task);
    for (const worker of this.workers) {
      if (worker.ready) {
        worker.thread.postMessage({ type: 'stop' } as ToWorker);
        continue;
      }
      // A thread still loading the rules has read nothing, so the stop need not wait for it.
      worker.ended = true;
      void worker.thread.terminate();
    }
  }

  /** Stops every thread at once, for a scan that ends with an error. */
  async terminate(): Promise<void> {
    this.finishing = true;
    this.terminating = true;
    this.pending.length = 0;
    await Promise.all(this.workers.map((worker) => worker.thread.terminate()));
  }

  private spawn(): void {
    const thread = new Worker(workerUrl(), {
      workerData: this.init,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    let resolveExit: () => void = () => {};
    const worker: PoolWorker = {
      thread,
      task: undefined,
      ready: false,
      final: undefined,
      failed: false,
      ended: false,
      exited: new Promise((resolve) => {
        resolveExit = resolve;
      }),
    };
    this.workers.push(worker);
    thread.on('message', (message: FromWorker) => this.receive(worker, message));
    thread.on('error', (error) => this.fail(worker, error));
    thread.on('exit', (code) => {
      if (worker.final === undefined && !worker.ended) {
        const reason = code === 0 ? 'exited before it sent its counts' : `exited with code ${code}`;
        this.fail(worker, new Error(`worker thread ${reason}`));
      }
      resolveExit();
    });
  }

  private receive(worker: PoolWorker, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        worker.ready = true;
        this.assign(worker);
        return;
      case 'batch': {
        const task = worker.task;
        if (!task) return;
        Object.assign(task.counts, message.counts);
        this.onRecords(message.records);
        task.batches.push(message.matches);
        this.notify(task);
        return;
      }
      case 'done': {
        const task = worker.task;
        if (!task) return;
        Object.assign(task.counts, message.counts);
        this.onRecords(message.records);
        task.done = true;
        worker.task = undefined;
        this.notify(task);
        this.assign(worker);
        return;
      }
      case 'log':
        if (isRepeatedWarning(this.logger, message.message, message.fields)) return;
        this.logger[message.level](message.message, message.fields);
        return;
      case 'final':
        worker.final = message;
        return;
    }
  }

  /** Fails the input of a crashed thread and starts a replacement for the inputs to come. */
  private fail(worker: PoolWorker, error: Error): void {
    if (worker.failed || this.terminating) return;
    worker.failed = true;
    const task = worker.task;
    worker.task = undefined;
    worker.ready = false;
    this.logger.error('worker thread failed', {
      error: error.message,
      file: task?.prepared.file.path,
    });
    if (task) {
      task.counts.error = `worker thread failed: ${error.message}`;
      task.done = true;
      this.notify(task);
    }
    if (this.finishing || this.stopped) return;
    if (this.restarts-- > 0) {
      this.spawn();
      return;
    }
    this.broken = true;
    for (const waiting of this.pending.splice(0)) this.failTask(waiting);
  }

  private skipTask(task: Task): void {
    task.counts.interrupted = true;
    task.done = true;
    this.notify(task);
  }

  private failTask(task: Task): void {
    task.counts.error = 'worker threads kept failing';
    task.done = true;
    this.notify(task);
  }

  private assign(worker: PoolWorker): void {
    if (!worker.ready || worker.task) return;
    const task = this.pending.shift();
    if (!task) return;
    worker.task = task;
    task.worker = worker;
    const { prepared } = task;
    const locator = prepared.file.locator;
    if (!locator || !prepared.format) {
      task.counts.error = 'input cannot be read in a worker thread';
      task.done = true;
      worker.task = undefined;
      this.notify(task);
      this.assign(worker);
      return;
    }
    const message: FileTask = {
      type: 'file',
      id: task.id,
      path: prepared.file.path,
      key: prepared.file.key,
      size: prepared.file.size,
      mtimeMs: prepared.file.mtimeMs,
      locator,
      format: prepared.format.name,
      encoding: prepared.encoding,
      jsonLayout: prepared.jsonLayout,
    };
    worker.thread.postMessage(message);
  }

  private notify(task: Task): void {
    const wake = task.wake;
    task.wake = undefined;
    wake?.();
  }

  private reader(task: Task): AsyncIterator<StageMatch[]> {
    return {
      next: async () => {
        while (task.batches.length === 0 && !task.done) {
          if (!task.worker) this.releaseRunning();
          await new Promise<void>((resolve) => {
            task.wake = resolve;
          });
        }
        const batch = task.batches.shift();
        if (!batch) return { done: true, value: undefined };
        task.worker?.thread.postMessage({
          type: 'credit',
          id: task.id,
          count: batch.length,
        } as ToWorker);
        return { done: false, value: batch };
      },
    };
  }

  /** Lets every running input send without credit, so that their threads can move on. */
  private releaseRunning(): void {
    for (const worker of this.workers) {
      const running = worker.task;
      if (running && !running.done) {
        worker.thread.postMessage({ type: 'unbounded', id: running.id } as ToWorker);
      }
    }
  }
}
