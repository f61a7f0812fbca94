import { Worker } from 'node:worker_threads';

/**
 * Runs the regular expressions that V8's linear-time engine cannot take (backreferences,
 * lookaround, repetition counts above 16) under a time budget per evaluation. Each test runs
 * on a helper thread while the caller waits on shared memory for at most the budget. A test
 * that runs over is abandoned: the thread is terminated and replaced, the test counts as no
 * match, and the rule's timeouts are counted. After `disableAfter` timeouts the expression is
 * no longer run for that rule, so crafted values cannot cost the budget on every event.
 *
 * Expressions the linear-time engine takes never come here: they run in the scan's own
 * thread, where V8 switches them to that engine once they backtrack excessively.
 */

export interface RegexGuardOptions {
  /** Time one evaluation may take, in milliseconds. */
  budgetMs: number;
  /** Timeouts of one rule after which its guarded expressions are no longer run. */
  disableAfter: number;
  /**
   * Timeout counts shared with the guards of other threads, at each rule label's slot, so that
   * `disableAfter` applies to the whole scan rather than to each thread.
   */
  shared?: SharedCounts;
}

/** Counts in shared memory, one slot per rule label. */
export interface SharedCounts {
  counts: Int32Array;
  slots: ReadonlyMap<string, number>;
}

export interface RegexTimeouts {
  /** Evaluations that ran over the budget, per rule label. */
  byRule: Map<string, number>;
  total: number;
  /** The rule of the latest timeout. */
  lastRule: string | undefined;
  /**
   * Time spent waiting for time-limited evaluations, timeouts included, and their number, per
   * rule label. Evaluations each within the budget can still add up to a slow rule.
   */
  spent: Map<string, RegexSpending>;
}

export interface RegexSpending {
  ms: number;
  evaluations: number;
}

/** Adds the spending of other threads, or of another detector, to `into`. */
export function addSpending(
  into: Map<string, RegexSpending>,
  from: Iterable<[string, RegexSpending]>,
): void {
  for (const [rule, spent] of from) {
    const known = into.get(rule) ?? { ms: 0, evaluations: 0 };
    into.set(rule, { ms: known.ms + spent.ms, evaluations: known.evaluations + spent.evaluations });
  }
}

const STATE = 0;
const RESULT = 1;
const KEY_LENGTH = 2;
const TEXT_LENGTH = 3;
const READY = 4;

const IDLE = 0;
const REQUEST = 1;
const DONE = 2;

/** UTF-16 units of the smallest buffer shared with the helper thread. */
const MIN_CAPACITY = 64 * 1024;

/** Time a new helper thread may take to start before the guard gives up on it. */
const START_TIMEOUT_MS = 10_000;

// The helper thread's program: wait for a request, run it, publish the result. Compiled
// expressions are cached by flags and source.
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
const units = new Uint16Array(workerData.data);
const cache = new Map();
const read = (start, length) => {
  let text = '';
  for (let at = start; at < start + length; at += 8192) {
    const end = Math.min(at + 8192, start + length);
    text += String.fromCharCode.apply(null, units.subarray(at, end));
  }
  return text;
};
Atomics.store(control, ${READY}, 1);
Atomics.notify(control, ${READY});
for (;;) {
  const state = Atomics.load(control, ${STATE});
  if (state !== ${REQUEST}) {
    // Every request comes with a notify, so waiting on the current value cannot miss one.
    Atomics.wait(control, ${STATE}, state);
    continue;
  }
  const keyLength = control[${KEY_LENGTH}];
  const key = read(0, keyLength);
  let regex = cache.get(key);
  if (!regex) {
    const slash = key.indexOf('/');
    regex = new RegExp(key.slice(slash + 1), key.slice(0, slash));
    cache.set(key, regex);
  }
  const text = read(keyLength, control[${TEXT_LENGTH}]);
  let matched = false;
  try {
    matched = regex.test(text);
  } catch {
    matched = false;
  }
  control[${RESULT}] = matched ? 1 : 0;
  Atomics.store(control, ${STATE}, ${DONE});
  Atomics.notify(control, ${STATE});
}
`;

class Helper {
  readonly control = new Int32Array(new SharedArrayBuffer(8 * Int32Array.BYTES_PER_ELEMENT));
  readonly units: Uint16Array;
  private readonly worker: Worker;

  constructor(capacity: number) {
    this.units = new Uint16Array(new SharedArrayBuffer(capacity * Uint16Array.BYTES_PER_ELEMENT));
    this.worker = new Worker(HELPER_SOURCE, {
      eval: true,
      workerData: { control: this.control.buffer, data: this.units.buffer },
    });
    this.worker.unref();
    // A terminated or failed thread only loses its request, which then times out.
    this.worker.on('error', () => {});
  }

  /** Waits until the thread runs; false when it did not start in time. */
  started(): boolean {
    if (Atomics.load(this.control, READY) === 1) return true;
    Atomics.wait(this.control, READY, 0, START_TIMEOUT_MS);
    return Atomics.load(this.control, READY) === 1;
  }

  stop(): void {
    void this.worker.terminate();
  }
}

export class RegexGuard {
  readonly timeouts: RegexTimeouts = {
    byRule: new Map(),
    total: 0,
    lastRule: undefined,
    spent: new Map(),
  };
  private helper: Helper | undefined;
  /** Whether `startFirstHelper` has started a thread. */
  private helperStarted = false;

  constructor(private readonly options: RegexGuardOptions) {}

  /** Returns a test of the expression that stays within the budget, counting for `rule`. */
  compile(source: string, flags: string, rule: string): (text: string) => boolean {
    const key = `${flags}/${source}`;
    return (text) => {
      if (this.timeoutsOf(rule) >= this.options.disableAfter) return false;
      this.startFirstHelper();
      const started = performance.now();
      const result = this.run(key, text);
      this.addSpent(rule, performance.now() - started);
      if (result !== undefined) return result;
      this.timeouts.byRule.set(rule, (this.timeouts.byRule.get(rule) ?? 0) + 1);
      this.timeouts.total++;
      this.timeouts.lastRule = rule;
      const shared = this.options.shared;
      const slot = shared?.slots.get(rule);
      if (shared && slot !== undefined) Atomics.add(shared.counts, slot, 1);
      return false;
    };
  }

  /**
   * Starts the helper thread at the first test and waits until it runs, before that test's time
   * is counted. Starting a thread takes about 50 ms of CPU time (Node 20, measured alone), which
   * a scan whose events never reach such an expression need not spend.
   */
  private startFirstHelper(): void {
    if (this.helperStarted) return;
    this.helperStarted = true;
    this.helper ??= new Helper(MIN_CAPACITY);
    this.helper.started();
  }

  private addSpent(rule: string, ms: number): void {
    let spent = this.timeouts.spent.get(rule);
    if (!spent) {
      spent = { ms: 0, evaluations: 0 };
      this.timeouts.spent.set(rule, spent);
    }
    spent.ms += ms;
    spent.evaluations++;
  }

  /** Returns the timeouts of a rule: in every thread when counts are shared, else in this one. */
  timeoutsOf(rule: string): number {
    const shared = this.options.shared;
    const slot = shared?.slots.get(rule);
    if (shared && slot !== undefined) return Atomics.load(shared.counts, slot);
    return this.timeouts.byRule.get(rule) ?? 0;
  }

  /** Ends the helper thread; a later test starts a new one. */
  close(): void {
    this.helper?.stop();
    this.helper = undefined;
  }

  /** Returns whether the expression matches, or undefined when it ran over the budget. */
  private run(key: string, text: string): boolean | undefined {
    const needed = key.length + text.length;
    if (!this.helper || this.helper.units.length < needed) {
      this.helper?.stop();
      this.helper = new Helper(Math.max(needed, MIN_CAPACITY));
    }
    const helper = this.helper;
    if (!helper.started()) {
      this.close();
      return undefined;
    }

    const { control, units } = helper;
    for (let index = 0; index < key.length; index++) units[index] = key.charCodeAt(index);
    for (let index = 0; index < text.length; index++) {
      units[key.length + index] = text.charCodeAt(index);
    }
    control[KEY_LENGTH] = key.length;
    control[TEXT_LENGTH] = text.length;
    Atomics.store(control, STATE, REQUEST);
    Atomics.notify(control, STATE);

    const deadline = performance.now() + this.options.budgetMs;
    while (Atomics.load(control, STATE) === REQUEST) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      Atomics.wait(control, STATE, REQUEST, left);
    }
    if (Atomics.load(control, STATE) !== DONE) {
      this.close();
      return undefined;
    }
    const matched = control[RESULT] === 1;
    Atomics.store(control, STATE, IDLE);
    return matched;
  }
}
