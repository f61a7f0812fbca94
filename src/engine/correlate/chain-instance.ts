import type { Event } from '../../model/event.js';
import { MAX_EVIDENCE_PER_STEP } from '../finding.js';

/**
 * One run of a chain: the records of each step, the keys that link new records to it, and the
 * counted records of threshold steps not yet reached. Copies made for a second actor share a
 * family number, so that values one of them saw do not count as seen before by another.
 */
export class Instance {
  readonly steps: Event[][];
  readonly times: number[][];
  readonly keys = new Set<string>();
  readonly events = new Set<Event>();
  omitted = 0;
  private readonly keySteps = new Map<string, number>();
  private readonly pending: { event: Event; weight: number }[][];
  private openAt = Number.POSITIVE_INFINITY;

  constructor(
    readonly party: string,
    public actor: string | undefined,
    readonly sessionKey: string,
    readonly stepCount: number,
    readonly family: number,
  ) {
    this.steps = Array.from({ length: stepCount }, () => []);
    this.times = Array.from({ length: stepCount }, () => []);
    this.pending = Array.from({ length: stepCount }, () => []);
  }

  add(step: number, event: Event): void {
    this.events.add(event);
    if (step === 0 && event.time < this.openAt) this.openAt = event.time;
    (this.times[step] as number[]).push(event.time);
    const events = this.steps[step] as Event[];
    if (events.length < MAX_EVIDENCE_PER_STEP) events.push(event);
    else this.omitted++;
  }

  /** Time of the earliest step-1 record. */
  get openTime(): number {
    return this.openAt;
  }

  addKey(key: string, step: number): void {
    this.keys.add(key);
    if (!this.keySteps.has(key)) this.keySteps.set(key, step);
  }

  /** Counted records wait here until their weights reach the step's threshold. */
  addPending(step: number, event: Event, weight: number): void {
    this.events.add(event);
    (this.pending[step] as { event: Event; weight: number }[]).push({ event, weight });
  }

  /**
   * Moves the burst that ends at `time` into the step's evidence when its weights reach the
   * threshold and its first record passes `startsInWindow`. The burst is the pending records
   * of the `windowMs` before `time`.
   */
  promoteBurst(
    step: number,
    time: number,
    threshold: { count: number; windowMs: number },
    startsInWindow: (first: Event) => boolean,
  ): void {
    const pending = this.pending[step] as { event: Event; weight: number }[];
    const burst = pending
      .filter((item) => item.event.time >= time - threshold.windowMs && item.event.time <= time)
      .sort((a, b) => a.event.time - b.event.time);
    const total = burst.reduce((sum, item) => sum + item.weight, 0);
    const first = burst[0];
    if (total < threshold.count || !first || !startsInWindow(first.event)) return;
    for (const item of burst) this.add(step, item.event);
    this.pending[step] = [];
  }

  reached(step: number): boolean {
    return (this.times[step] as number[]).length > 0;
  }

  /** Time of the latest record of `step` at or before `time`, or undefined. */
  nearestBefore(step: number, time: number): number | undefined {
    let nearest: number | undefined;
    for (const candidate of this.times[step] as number[]) {
      if (candidate <= time && (nearest === undefined || candidate > nearest)) nearest = candidate;
    }
    return nearest;
  }

  /** Time of the instance's latest record of any step. */
  latestTime(): number | undefined {
    let latest: number | undefined;
    for (const times of this.times) {
      for (const time of times) if (latest === undefined || time > latest) latest = time;
    }
    return latest;
  }

  lastTime(step: number): number | undefined {
    const times = this.times[step] as number[];
    return times.length === 0 ? undefined : Math.max(...times);
  }

  get complete(): boolean {
    return this.reached(this.stepCount - 1);
  }

  /** A copy holding the records and keys of the steps before `step`, for another actor. */
  copyBefore(step: number, actor: string): Instance {
    const copy = new Instance(this.party, actor, this.sessionKey, this.stepCount, this.family);
    for (let index = 0; index < step; index++) {
      for (const event of this.steps[index] as Event[]) copy.add(index, event);
    }
    for (const [key, keyStep] of this.keySteps) if (keyStep < step) copy.addKey(key, keyStep);
    return copy;
  }
}
