import type { Event } from '../../model/event.js';
import type { ChainMember, CorrelationRule } from '../../rules/rule.js';
import { compileTemplate, type KeyTemplate } from '../../rules/templates.js';
import {
  type Correlation,
  type CorrelationInput,
  type Finding,
  MAX_EVIDENCE_PER_STEP,
} from '../finding.js';
import { Instance } from './chain-instance.js';
import { EarlyRecords } from './early-records.js';
import { RetiredKeys } from './retired-keys.js';

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
 *   (inclusive), and the member's conditions hold (`differ`, `unseen`, `outside_networks`,
 *   `inside_networks`).
 *   It then adds its provided keys to the instance.
 * - A step with a threshold is reached by one record of an uncounted member, or by counted
 *   records whose weights add up to `count` within `window`; those records become its evidence.
 *   The burst's first record must come within `within` of the previous step, and its later
 *   records may come up to `window` after that first record.
 * - A record joins at most one step of an instance, the highest it qualifies for. A record that
 *   joined an instance at a later step never opens a new instance.
 * - An instance is complete once its last step is reached. It is reported when no step can
 *   accept records any more (the windows have passed) or at the end of the input.
 * - With `observe_within`, observers keep feeding `remember` through a closed instance's keys
 *   for that long after its last record.
 * - A step with `lead` also takes a record that came up to that long before the previous
 *   step's record that provided its link key, when no instance took it on arrival.
 */

interface Member {
  step: number;
  rules: ReadonlySet<string>;
  links: [string, KeyTemplate[]][];
  provides: [string, KeyTemplate[]][];
  actor: KeyTemplate | undefined;
  differ: [KeyTemplate, KeyTemplate][];
  counted: boolean;
  weight: KeyTemplate | undefined;
  unseen: [string, KeyTemplate][];
  outsideNetworks: KeyTemplate | undefined;
  insideNetworks: KeyTemplate | undefined;
}

/** Settings that replace a step's window or threshold. */
export interface StepOverride {
  withinMs?: number;
  count?: number;
  windowMs?: number;
}

export interface ChainOptions {
  stepOverride(rule: CorrelationRule, step: string): StepOverride | undefined;
  /** True when the address lies in the named party's networks. */
  inPartyNetworks(party: string, address: string): boolean;
  /** True when the named party lists any networks; when this is absent, every party does. */
  partyHasNetworks?(party: string): boolean;
  /**
   * The key under which spellings of one account are one actor (`DomainDirectory.actorKey`);
   * without it, actors compare as written.
   */
  actorKey?(actor: string): string;
}

interface Sighting {
  time: number;
  family: number;
}

/** Distinct values remembered per party and name; the oldest are dropped past this many. */
const MAX_REMEMBERED_VALUES = 100_000;

export class ChainCorrelation implements Correlation {
  private readonly members: Member[];
  private readonly observers: Member[];
  private readonly windows: number[];
  private readonly thresholds: ({ count: number; windowMs: number } | undefined)[];
  private readonly actorStep: number;
  private readonly remember: [string, KeyTemplate][];
  private readonly index = new Map<string, Set<Instance>>();
  private readonly instances = new Set<Instance>();
  /** party → remembered name → value → first sightings by distinct instance families. */
  private readonly sightings = new Map<string, Map<string, Map<string, Sighting[]>>>();
  /** Keys of closed instances that observers still link to, for `remember`. */
  private readonly retired = new RetiredKeys();
  private readonly observeWithinMs: number;
  private readonly leads: number[];
  private readonly early: EarlyRecords<Member> | undefined;
  private nextFamily = 1;

  constructor(
    private readonly rule: CorrelationRule,
    private readonly options: ChainOptions,
  ) {
    const overrides = rule.steps.map((step) => options.stepOverride(rule, step.name));
    this.windows = rule.steps.map((step, index) => overrides[index]?.withinMs ?? step.withinMs);
    this.thresholds = rule.steps.map((step, index) => {
      if (!step.threshold) return undefined;
      const override = overrides[index];
      return {
        count: override?.count ?? step.threshold.count,
        windowMs: override?.windowMs ?? step.threshold.windowMs,
      };
    });
    this.members = rule.steps.flatMap((step, index) =>
      step.members.map((member) => compileMember(member, index)),
    );
    this.observers = rule.chain.observe.map((member) => compileMember(member, -1));
    this.remember = Object.entries(rule.chain.remember).map(([name, text]) => [
      name,
      template(text),
    ]);
    const actorStep = rule.chain.actorFrom
      ? rule.steps.findIndex((step) => step.name === rule.chain.actorFrom)
      : 0;
    this.actorStep = Math.max(actorStep, 0);
    this.observeWithinMs = this.remember.length > 0 ? (rule.chain.observeWithinMs ?? 0) : 0;
    this.leads = rule.steps.map((step) => step.leadMs ?? 0);
    const maxLead = Math.max(0, ...this.leads);
    this.early = maxLead > 0 ? new EarlyRecords<Member>(maxLead) : undefined;
  }

  size(): number {
    return this.instances.size;
  }

  /** Open instances that reached their last step and wait for their windows to pass. */
  completeCount(): number {
    let count = 0;
    for (const instance of this.instances) if (instance.complete) count++;
    return count;
  }

  push(input: CorrelationInput, _out: Finding[]): void {
    const event = input.events[0];
    if (!event) return;
    const refs = input.rules;
    const uses = (member: Member) =>
      refs.some(
        (ref) => member.rules.has(ref.id) || (ref.name !== undefined && member.rules.has(ref.name)),
      );
    const matched = this.members.filter(uses);
    const observed = this.observers.filter(uses);
    if (matched.length === 0 && observed.length === 0) return;

    const touched = new Set<Instance>();
    for (const member of [...matched].sort((a, b) => b.step - a.step)) {
      if (member.step === 0 || !differs(member, event)) continue;
      for (const instance of this.candidates(member.links, event)) {
        if (instance.events.has(event)) continue;
        const joined = this.join(instance, member, event);
        if (joined) touched.add(joined);
      }
    }
    for (const member of observed) {
      for (const instance of this.candidates(member.links, event)) {
        this.provide(instance, member, event);
        touched.add(instance);
      }
      if (this.observeWithinMs > 0) {
        for (const owner of this.retired.owners(renderKeys(member.links, event), event.time)) {
          this.sightValues(owner.party, owner.family, event);
        }
      }
    }

    const joinedStep = [...touched].some((instance) => instance.events.has(event));
    if (!joinedStep) {
      for (const member of matched) {
        if (member.step !== 0 || !differs(member, event)) continue;
        const opened = this.open(member, event);
        if (opened) touched.add(opened);
      }
    }
    if (!joinedStep && this.early) this.keepEarly(matched, event);
    for (const instance of touched) this.sight(instance, event);
  }

  advance(time: number, out: Finding[]): void {
    for (const instance of this.instances) {
      if (!this.accepting(instance, time)) this.close(instance, out);
    }
    if (this.retired.size() > 0) this.retired.expire(time);
  }

  flush(out: Finding[]): void {
    for (const instance of this.instances) this.close(instance, out);
  }

  /** Adds a later-step record to an instance, or to a copy for another actor; returns the one used. */
  private join(instance: Instance, member: Member, event: Event): Instance | undefined {
    const within = this.windows[member.step] as number;
    const threshold = this.thresholds[member.step];
    const counting = threshold !== undefined && member.counted && !instance.reached(member.step);

    // A burst must start within the window, and its later records may follow for the burst's window.
    const reach = counting ? within + threshold.windowMs : within;
    const previous = instance.nearestBefore(member.step - 1, event.time);
    if (previous === undefined || event.time - previous > reach) return undefined;
    if (!this.conditionsHold(instance, member, event)) return undefined;

    let target = instance;
    if (member.step === this.actorStep) {
      const actor = actorOf(member, event);
      if (instance.actor === undefined) instance.actor = actor;
      else if (!this.sameActor(instance.actor, actor)) target = this.fork(instance, actor);
    }

    if (counting && !target.reached(member.step)) {
      const weight = member.weight ? Number(member.weight.render(event)[0] ?? 1) : 1;
      target.addPending(member.step, event, Number.isFinite(weight) && weight > 0 ? weight : 1);
      const startsInWindow = (first: Event) => {
        const before = target.nearestBefore(member.step - 1, first.time);
        return before !== undefined && first.time - before <= within;
      };
      target.promoteBurst(member.step, event.time, threshold, startsInWindow);
    } else {
      target.add(member.step, event);
    }
    this.provide(target, member, event);
    return target;
  }

  private conditionsHold(instance: Instance, member: Member, event: Event): boolean {
    if (member.outsideNetworks) {
      for (const address of member.outsideNetworks.render(event)) {
        if (this.options.inPartyNetworks(instance.party, address)) return false;
      }
    }
    if (member.insideNetworks && (this.options.partyHasNetworks?.(instance.party) ?? true)) {
      const addresses = member.insideNetworks.render(event);
      if (!addresses.some((address) => this.options.inPartyNetworks(instance.party, address))) {
        return false;
      }
    }
    for (const [name, item] of member.unseen) {
      for (const value of item.render(event)) {
        if (this.seenBefore(instance, name, value)) return false;
      }
    }
    return true;
  }

  private open(member: Member, event: Event): Instance | undefined {
    const party = event.extra['trust.party'];
    if (typeof party !== 'string') return undefined;
    const actor = this.actorStep === 0 ? actorOf(member, event) : undefined;
    const keys = renderKeys(member.provides, event);
    if (keys.length === 0) return undefined;

    for (const key of keys) {
      for (const instance of this.index.get(key) ?? []) {
        const sameActor = this.actorStep !== 0 || this.sameActor(instance.actor, actor);
        if (instance.party === party && sameActor && !instance.events.has(event)) {
          instance.add(0, event);
          this.provide(instance, member, event);
          return instance;
        }
      }
    }
    const instance = new Instance(
      party,
      actor,
      keys[0] as string,
      this.rule.steps.length,
      this.nextFamily++,
    );
    this.instances.add(instance);
    instance.add(0, event);
    this.provide(instance, member, event);
    return instance;
  }

  /** Checks whether two actor names are one account, whatever their spelling. */
  private sameActor(first: string | undefined, second: string | undefined): boolean {
    if (first === second) return true;
    const key = this.options.actorKey;
    if (first === undefined || second === undefined || key === undefined) return false;
    return key(first) === key(second);
  }

  /** A copy of the instance's steps before the actor step, for a second actor. */
  private fork(instance: Instance, actor: string): Instance {
    const copy = instance.copyBefore(this.actorStep, actor);
    this.instances.add(copy);
    for (const key of copy.keys) this.indexKey(key, copy);
    return copy;
  }

  private provide(instance: Instance, member: Member, event: Event): void {
    const added: string[] = [];
    for (const key of renderKeys(member.provides, event)) {
      if (instance.keys.has(key)) continue;
      instance.addKey(key, member.step);
      this.indexKey(key, instance);
      added.push(key);
    }
    if (added.length > 0 && this.early) this.takeEarly(instance, member.step + 1, event, added);
  }

  /** Keeps a record of a step with a lead that no instance took, for an instance opened later. */
  private keepEarly(matched: readonly Member[], event: Event): void {
    for (const member of matched) {
      if (member.step === 0 || (this.leads[member.step] ?? 0) === 0) continue;
      if (!differs(member, event)) continue;
      const keys = renderKeys(member.links, event);
      if (keys.length > 0) this.early?.add({ member, event, keys });
    }
  }

  /** Adds the early records of `step` that link to newly provided keys of the instance. */
  private takeEarly(instance: Instance, step: number, by: Event, keys: string[]): void {
    const lead = this.leads[step] ?? 0;
    if (lead === 0 || (step === this.actorStep && step > 0)) return;
    for (const record of this.early?.linkedTo(keys) ?? []) {
      const { member, event } = record;
      if (member.step !== step || instance.events.has(event)) continue;
      if (event.time > by.time || by.time - event.time > lead) continue;
      if (!this.conditionsHold(instance, member, event)) continue;
      instance.add(step, event);
      this.provide(instance, member, event);
    }
  }

  private indexKey(key: string, instance: Instance): void {
    let set = this.index.get(key);
    if (!set) {
      set = new Set();
      this.index.set(key, set);
    }
    set.add(instance);
  }

  private candidates(links: [string, KeyTemplate[]][], event: Event): Set<Instance> {
    const found = new Set<Instance>();
    for (const key of renderKeys(links, event)) {
      for (const instance of this.index.get(key) ?? []) found.add(instance);
    }
    return found;
  }

  private sight(instance: Instance, event: Event): void {
    this.sightValues(instance.party, instance.family, event);
  }

  private sightValues(party: string, family: number, event: Event): void {
    if (this.remember.length === 0) return;
    let byName = this.sightings.get(party);
    if (!byName) {
      byName = new Map();
      this.sightings.set(party, byName);
    }
    for (const [name, item] of this.remember) {
      let values = byName.get(name);
      if (!values) {
        values = new Map();
        byName.set(name, values);
      }
      for (const value of item.render(event)) {
        const list = values.get(value) ?? [];
        // The earliest sightings of two families tell whether any other family saw it earlier.
        if (list.length < 2 && !list.some((sighting) => sighting.family === family)) {
          list.push({ time: event.time, family });
        }
        if (!values.has(value)) {
          if (values.size >= MAX_REMEMBERED_VALUES) {
            const oldest = values.keys().next().value;
            if (oldest !== undefined) values.delete(oldest);
          }
          values.set(value, list);
        }
      }
    }
  }

  /** Whether another instance of the party saw the value before this instance opened. */
  private seenBefore(instance: Instance, name: string, value: string): boolean {
    const list = this.sightings.get(instance.party)?.get(name)?.get(value);
    if (!list) return false;
    return list.some(
      (sighting) => sighting.family !== instance.family && sighting.time < instance.openTime,
    );
  }

  /** True while some step can still accept a record at `time`. */
  private accepting(instance: Instance, time: number): boolean {
    for (let step = 1; step < this.windows.length; step++) {
      const last = instance.lastTime(step - 1);
      if (last === undefined) continue;
      const threshold = this.thresholds[step];
      const burst = threshold && !instance.reached(step) ? threshold.windowMs : 0;
      if (time - last <= (this.windows[step] as number) + burst) return true;
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
    if (this.observeWithinMs > 0) {
      const until = (instance.latestTime() ?? 0) + this.observeWithinMs;
      this.retired.add(instance.keys, { party: instance.party, family: instance.family, until });
    }
    if (!instance.complete) return;

    const steps = instance.steps.map((events, index) => ({
      step: index + 1,
      label: this.rule.steps[index]?.name ?? `step${index + 1}`,
      events: [...events].sort((a, b) => a.time - b.time).slice(0, MAX_EVIDENCE_PER_STEP),
    }));
    const times = steps.flatMap((step) => step.events.map((event) => event.time));
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

function compileMember(member: ChainMember, step: number): Member {
  return {
    step,
    rules: new Set(member.rules),
    links: compileKeys(member.links),
    provides: compileKeys(member.provides),
    actor: member.actor === undefined ? undefined : template(member.actor),
    differ: member.differ.map(([a, b]) => [template(a), template(b)] as [KeyTemplate, KeyTemplate]),
    counted: member.counted,
    weight: member.weight === undefined ? undefined : template(member.weight),
    unseen: Object.entries(member.unseen).map(([name, text]) => [name, template(text)]),
    outsideNetworks:
      member.outsideNetworks === undefined ? undefined : template(member.outsideNetworks),
    insideNetworks:
      member.insideNetworks === undefined ? undefined : template(member.insideNetworks),
  };
}

function actorOf(member: Member, event: Event): string {
  return (member.actor ? member.actor.render(event)[0] : event.core.actor) ?? '';
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
