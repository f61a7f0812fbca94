import type { Event } from '../../model/event.js';
import type { CorrelationRule } from '../../rules/rule.js';
import { compileTemplate, type KeyTemplate } from '../../rules/templates.js';
import {
  type Correlation,
  type CorrelationInput,
  type Finding,
  MAX_EVIDENCE_PER_STEP,
} from '../finding.js';

/**
 * The `chain` correlation: ordered steps, each with its own window, where each record counts for
 * one step and keys that can change from step to step link the records (a logon id, then the
 * account on the next host). docs/correlation.md gives the semantics with a worked example.
 *
 * - A chain instance opens on a step-1 record of a trusted party (`trust.party` set); the
 *   record's provided keys identify it. A later step-1 record that shares a key with an open
 *   instance of the same party and actor joins that instance instead.
 * - A record of step k (k > 1) joins every open instance that has one of its link keys, when the
 *   nearest earlier record of step k-1 in that instance is at most `within` before it
 *   (inclusive). It then adds its provided keys to the instance.
 * - A record joins at most one step of an instance, the highest it qualifies for. A record that
 *   joined an instance at a later step never opens a new instance.
 * - An instance is complete once its last step has a record. It is reported when no step can
 *   accept records any more (the windows have passed) or at the end of the input, with every
 *   record of every step.
 */

interface Member {
  step: number;
  rules: ReadonlySet<string>;
  links: [string, KeyTemplate[]][];
  provides: [string, KeyTemplate[]][];
  actor: KeyTemplate | undefined;
  differ: [KeyTemplate, KeyTemplate][];
}

class Instance {
  readonly steps: Event[][];
  readonly times: number[][];
  readonly keys = new Set<string>();
  readonly events = new Set<Event>();
  omitted = 0;

  constructor(
    readonly party: string,
    readonly actor: string,
    readonly sessionKey: string,
    stepCount: number,
  ) {
    this.steps = Array.from({ length: stepCount }, () => []);
    this.times = Array.from({ length: stepCount }, () => []);
  }

  add(step: number, event: Event): void {
    this.events.add(event);
    const times = this.times[step] as number[];
    times.push(event.time);
    const events = this.steps[step] as Event[];
    if (events.length < MAX_EVIDENCE_PER_STEP) events.push(event);
    else this.omitted++;
  }

  /** Time of the latest record of `step` at or before `time`, or undefined. */
  nearestBefore(step: number, time: number): number | undefined {
    let nearest: number | undefined;
    for (const candidate of this.times[step] as number[]) {
      if (candidate <= time && (nearest === undefined || candidate > nearest)) nearest = candidate;
    }
    return nearest;
  }

  lastTime(step: number): number | undefined {
    const times = this.times[step] as number[];
    return times.length === 0 ? undefined : Math.max(...times);
  }

  get complete(): boolean {
    return (this.times[this.times.length - 1] as number[]).length > 0;
  }
}

export type WindowOverride = (rule: CorrelationRule, stepName: string) => number | undefined;

export class ChainCorrelation implements Correlation {
  private readonly members: Member[];
  private readonly windows: number[];
  private readonly index = new Map<string, Set<Instance>>();
  private readonly instances = new Set<Instance>();

  constructor(
    private readonly rule: CorrelationRule,
    override: WindowOverride,
  ) {
    this.windows = rule.steps.map((step) => override(rule, step.name) ?? step.withinMs);
    this.members = rule.steps.flatMap((step, stepIndex) =>
      step.members.map((member) => ({
        step: stepIndex,
        rules: new Set(member.rules),
        links: compileKeys(member.links),
        provides: compileKeys(member.provides),
        actor: member.actor === undefined ? undefined : template(member.actor),
        differ: member.differ.map(
          ([a, b]) => [template(a), template(b)] as [KeyTemplate, KeyTemplate],
        ),
      })),
    );
  }

  size(): number {
    return this.instances.size;
  }

  push(input: CorrelationInput, out: Finding[]): void {
    const event = input.events[0];
    if (!event) return;
    const matched = this.members.filter((member) =>
      input.rules.some(
        (ref) => member.rules.has(ref.id) || (ref.name !== undefined && member.rules.has(ref.name)),
      ),
    );
    if (matched.length === 0) return;

    let joined = false;
    for (const member of [...matched].sort((a, b) => b.step - a.step)) {
      if (member.step === 0 || !differs(member, event)) continue;
      for (const instance of this.candidates(member.links, event)) {
        if (instance.events.has(event)) continue;
        const previous = instance.nearestBefore(member.step - 1, event.time);
        if (previous === undefined || event.time - previous > (this.windows[member.step] as number))
          continue;
        instance.add(member.step, event);
        this.provide(instance, member, event);
        joined = true;
      }
    }
    if (joined) return;

    for (const member of matched) {
      if (member.step !== 0 || !differs(member, event)) continue;
      this.open(member, event);
    }
    void out;
  }

  advance(time: number, out: Finding[]): void {
    for (const instance of this.instances) {
      if (!this.accepting(instance, time)) this.close(instance, out);
    }
  }

  flush(out: Finding[]): void {
    for (const instance of this.instances) this.close(instance, out);
  }

  private open(member: Member, event: Event): void {
    const party = event.extra['trust.party'];
    if (typeof party !== 'string') return;
    const actor = (member.actor ? member.actor.render(event)[0] : event.core.actor) ?? '';
    const keys = renderKeys(member.provides, event);
    if (keys.length === 0) return;

    for (const key of keys) {
      for (const instance of this.index.get(key) ?? []) {
        if (instance.party === party && instance.actor === actor && !instance.events.has(event)) {
          instance.add(0, event);
          this.provide(instance, member, event);
          return;
        }
      }
    }
    const instance = new Instance(party, actor, keys[0] as string, this.rule.steps.length);
    this.instances.add(instance);
    instance.add(0, event);
    this.provide(instance, member, event);
  }

  private provide(instance: Instance, member: Member, event: Event): void {
    for (const key of renderKeys(member.provides, event)) {
      if (instance.keys.has(key)) continue;
      instance.keys.add(key);
      let set = this.index.get(key);
      if (!set) {
        set = new Set();
        this.index.set(key, set);
      }
      set.add(instance);
    }
  }

  private candidates(links: [string, KeyTemplate[]][], event: Event): Set<Instance> {
    const found = new Set<Instance>();
    for (const key of renderKeys(links, event))
      for (const instance of this.index.get(key) ?? []) found.add(instance);
    return found;
  }

  /** True while some step can still accept a record at `time`. */
  private accepting(instance: Instance, time: number): boolean {
    for (let step = 1; step < this.windows.length; step++) {
      const last = instance.lastTime(step - 1);
      if (last !== undefined && time - last <= (this.windows[step] as number)) return true;
    }
    return false;
  }

  private close(instance: Instance, out: Finding[]): void {
    this.instances.delete(instance);
    for (const key of instance.keys) {
      const set = this.index.get(key);
      set?.delete(instance);
      if (set && set.size === 0) this.index.delete(key);
    }
    if (!instance.complete) return;

    const steps = instance.steps.map((events, index) => ({
      step: index + 1,
      label: this.rule.steps[index]?.name ?? `step${index + 1}`,
      events: [...events].sort((a, b) => a.time - b.time),
    }));
    const all = steps.flatMap((step) => step.events);
    const times = all.map((event) => event.time);
    const firstStep = steps[0]?.events[0];
    out.push({
      rule: this.rule,
      steps,
      group: null,
      party: instance.party,
      actor: instance.actor,
      instanceKey: `${instance.sessionKey}@${firstStep?.time ?? 0}`,
      firstTime: Math.min(...times),
      lastTime: Math.max(...times),
      omitted: instance.omitted,
    });
  }
}

function template(text: string): KeyTemplate {
  const compiled = compileTemplate(text);
  if (typeof compiled === 'string')
    throw new Error(`invalid template reached the engine: ${compiled}`);
  return compiled;
}

function compileKeys(keys: Record<string, string[]>): [string, KeyTemplate[]][] {
  return Object.entries(keys).map(([space, templates]) => [space, templates.map(template)]);
}

function renderKeys(keys: [string, KeyTemplate[]][], event: Event): string[] {
  const out: string[] = [];
  for (const [space, templates] of keys) {
    for (const item of templates)
      for (const key of item.render(event)) out.push(`${space}\u0000${key}`);
  }
  return out;
}

/** Every `differ` pair must render on both sides, to values that do not overlap. */
function differs(member: Member, event: Event): boolean {
  for (const [left, right] of member.differ) {
    const a = left.render(event);
    const b = right.render(event);
    if (a.length === 0 || b.length === 0) return false;
    if (a.some((value) => b.includes(value))) return false;
  }
  return true;
}
