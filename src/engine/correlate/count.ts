import type { Event } from '../../model/event.js';
import type { CorrelationRule } from '../../rules/rule.js';
import {
  type Correlation,
  type CorrelationInput,
  type Finding,
  MAX_EVIDENCE_PER_STEP,
} from '../finding.js';
import { common, groupKey, hasUpperBound, satisfies, stringValue } from './group.js';

/**
 * `event_count` and `value_count`. A condition with only lower bounds (`gte: 10`) is judged on
 * a sliding window: the alert is raised as soon as the inputs of the last `timespan` satisfy it,
 * and counting starts afresh. A condition with an upper bound (`lt`, `lte`, `eq`) is judged when
 * a window closes: windows start at a group's first input and last `timespan`.
 */

interface Entry {
  input: CorrelationInput;
  value: string;
}

interface Group {
  values: Record<string, string>;
  entries: Entry[];
  /** Start of the current window, for conditions judged at the window's end. */
  start: number;
}

export class CountCorrelation implements Correlation {
  private readonly groups = new Map<string, Group>();
  private readonly closing: boolean;

  constructor(private readonly rule: CorrelationRule) {
    this.closing = hasUpperBound(rule.condition);
  }

  size(): number {
    return this.groups.size;
  }

  push(input: CorrelationInput, out: Finding[]): void {
    const { key, values } = groupKey(this.rule, input);
    let group = this.groups.get(key);
    const value =
      this.rule.type === 'value_count' && this.rule.valueField
        ? stringValue(input.get(this.rule.valueField))
        : '';

    if (this.closing) {
      if (group && input.time > group.start + this.rule.timespanMs) {
        this.judge(key, group, out);
        group = undefined;
      }
      if (!group) {
        group = { values, entries: [], start: input.time };
        this.groups.set(key, group);
      }
      group.entries.push({ input, value });
      return;
    }

    if (!group) {
      group = { values, entries: [], start: input.time };
      this.groups.set(key, group);
    }
    const cutoff = input.time - this.rule.timespanMs;
    while (group.entries.length > 0 && (group.entries[0] as Entry).input.time < cutoff)
      group.entries.shift();
    group.entries.push({ input, value });
    if (satisfies(this.rule.condition, this.count(group))) {
      out.push(this.finding(key, group));
      this.groups.delete(key);
    }
  }

  advance(time: number, out: Finding[]): void {
    for (const [key, group] of this.groups) {
      if (this.closing) {
        if (time > group.start + this.rule.timespanMs) this.judge(key, group, out);
        continue;
      }
      const last = group.entries[group.entries.length - 1];
      if (!last || last.input.time < time - this.rule.timespanMs) this.groups.delete(key);
    }
  }

  flush(out: Finding[]): void {
    for (const [key, group] of this.groups) if (this.closing) this.judge(key, group, out);
    this.groups.clear();
  }

  private count(group: Group): number {
    if (this.rule.type === 'value_count') {
      return new Set(group.entries.map((entry) => entry.value).filter((value) => value !== ''))
        .size;
    }
    return group.entries.length;
  }

  private judge(key: string, group: Group, out: Finding[]): void {
    this.groups.delete(key);
    if (satisfies(this.rule.condition, this.count(group))) out.push(this.finding(key, group));
  }

  private finding(key: string, group: Group): Finding {
    const events: Event[] = [];
    for (const entry of group.entries) events.push(...entry.input.events);
    const kept = events.slice(0, MAX_EVIDENCE_PER_STEP);
    const inputs = group.entries.map((entry) => entry.input);
    return {
      rule: this.rule,
      steps: [{ step: 1, label: this.rule.meta.title, events: kept }],
      group: group.values,
      party: common(inputs.map((input) => input.party)),
      actor: common(inputs.map((input) => input.actor)),
      instanceKey: `${key}@${inputs[0]?.time ?? 0}`,
      firstTime: inputs[0]?.time ?? 0,
      lastTime: inputs[inputs.length - 1]?.time ?? 0,
      omitted: events.length - kept.length,
    };
  }
}
