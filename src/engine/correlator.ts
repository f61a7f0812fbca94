import type { Event } from '../model/event.js';
import { fieldAccessor } from '../rules/fields.js';
import type { CorrelationRule, DetectionRule, Rule } from '../rules/rule.js';
import { ChainCorrelation, type ChainOptions } from './correlate/chain.js';
import { CountCorrelation } from './correlate/count.js';
import { TemporalCorrelation } from './correlate/temporal.js';
import type { Correlation, CorrelationInput, Finding } from './finding.js';

/**
 * The stateful stage: receives matched events in event-time order and feeds the correlation
 * rules that reference the matched rules. A correlation's finding feeds the correlations that
 * reference it in turn (Sigma correlation chaining), and becomes an alert only when the
 * correlation is not used by another one.
 */

interface Consumer {
  rule: CorrelationRule;
  correlation: Correlation;
}

/** How far event time moves between sweeps of expired state, in ms. */
const SWEEP_INTERVAL_MS = 60_000;

export type CorrelatorOptions = ChainOptions;

/** Correlation state still open: what `flush` would close as if the input had ended. */
export interface OpenCorrelations {
  /** Open instances of chain rules. */
  chains: number;
  /** Chain instances among them that reached their last step. */
  completeChains: number;
  /** Open groups of the Sigma correlation types (`event_count`, `temporal` …). */
  groups: number;
}

export class Correlator {
  private readonly consumers = new Map<Rule, Consumer[]>();
  private readonly all: Consumer[] = [];
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(rules: readonly Rule[], options: CorrelatorOptions) {
    const byReference = new Map<string, Rule>();
    for (const rule of rules) {
      byReference.set(rule.meta.id, rule);
      if (rule.meta.name) byReference.set(rule.meta.name, rule);
    }
    for (const rule of rules) {
      if (rule.kind !== 'correlation') continue;
      const correlation = createCorrelation(rule, options, byReference);
      const consumer = { rule, correlation };
      this.all.push(consumer);
      for (const reference of rule.rules) {
        const target = byReference.get(reference);
        if (!target) continue;
        const list = this.consumers.get(target) ?? [];
        if (!list.includes(consumer)) list.push(consumer);
        this.consumers.set(target, list);
      }
    }
  }

  /** True when some correlation uses the rule. */
  consumes(rule: Rule): boolean {
    return this.consumers.has(rule);
  }

  push(event: Event, matched: readonly DetectionRule[], out: Finding[]): void {
    if (event.time - this.lastSweep >= SWEEP_INTERVAL_MS) this.advance(event.time, out);

    const byConsumer = new Map<Consumer, DetectionRule[]>();
    for (const rule of matched) {
      for (const consumer of this.consumers.get(rule) ?? []) {
        const list = byConsumer.get(consumer) ?? [];
        list.push(rule);
        byConsumer.set(consumer, list);
      }
    }
    if (byConsumer.size === 0) return;

    const produced: Finding[] = [];
    for (const [consumer, rules] of byConsumer) {
      consumer.correlation.push(eventInput(event, rules), produced);
    }
    this.route(produced, out);
  }

  /** Closes windows that end before `time`, emitting what they hold. */
  advance(time: number, out: Finding[]): void {
    this.lastSweep = time;
    const produced: Finding[] = [];
    for (const consumer of this.all) consumer.correlation.advance(time, produced);
    this.route(produced, out);
  }

  flush(out: Finding[]): void {
    for (const consumer of this.all) {
      const produced: Finding[] = [];
      consumer.correlation.flush(produced);
      this.route(produced, out);
    }
  }

  /** Counts the open state, which a scan stopped part way drops instead of flushing. */
  openState(): OpenCorrelations {
    const state: OpenCorrelations = { chains: 0, completeChains: 0, groups: 0 };
    for (const { correlation } of this.all) {
      if (correlation instanceof ChainCorrelation) {
        state.chains += correlation.size();
        state.completeChains += correlation.completeCount();
      } else {
        state.groups += correlation.size();
      }
    }
    return state;
  }

  /** Correlation state currently held, for memory reporting. */
  stateSize(): number {
    return this.all.reduce((sum, consumer) => sum + consumer.correlation.size(), 0);
  }

  private route(findings: Finding[], out: Finding[]): void {
    for (const finding of findings) {
      if (finding.rule.emits) out.push(finding);
      const consumers = this.consumers.get(finding.rule);
      if (!consumers) continue;
      const produced: Finding[] = [];
      for (const consumer of consumers) consumer.correlation.push(findingInput(finding), produced);
      this.route(produced, out);
    }
  }
}

function createCorrelation(
  rule: CorrelationRule,
  options: CorrelatorOptions,
  byReference: ReadonlyMap<string, Rule>,
): Correlation {
  if (rule.type === 'chain') return new ChainCorrelation(rule, options);
  if (rule.type === 'temporal' || rule.type === 'temporal_ordered') {
    const positions = new Map<Rule, number>();
    rule.rules.forEach((reference, index) => {
      const target = byReference.get(reference);
      if (target && !positions.has(target)) positions.set(target, index);
    });
    const byId = new Map<string, number>();
    for (const [target, index] of positions) byId.set(target.meta.id, index);
    const labels = rule.rules.map((reference) => {
      const target = byReference.get(reference);
      return target?.meta.name ?? target?.meta.title ?? reference;
    });
    return new TemporalCorrelation(
      rule,
      (input) =>
        input.rules
          .map((ref) => byId.get(ref.id))
          .filter((index): index is number => index !== undefined),
      labels,
    );
  }
  return new CountCorrelation(rule);
}

function eventInput(event: Event, rules: readonly Rule[]): CorrelationInput {
  return {
    time: event.time,
    rules: rules.map((rule) => ({ id: rule.meta.id, name: rule.meta.name })),
    get: (field) => fieldAccessor(field).get(event),
    events: [event],
    party: stringOrUndefined(event.extra['trust.party']),
    actor: event.core.actor,
    host: event.core.host,
  };
}

function findingInput(finding: Finding): CorrelationInput {
  const events = finding.steps.flatMap((step) => step.events);
  return {
    time: finding.lastTime,
    rules: [{ id: finding.rule.meta.id, name: finding.rule.meta.name }],
    get: (field) => finding.group?.[field],
    events,
    party: finding.party,
    actor: finding.actor,
    host: events[0]?.core.host,
  };
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
