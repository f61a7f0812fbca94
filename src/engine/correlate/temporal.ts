import type { CorrelationRule } from '../../rules/rule.js';
import type { Correlation, CorrelationInput, Finding } from '../finding.js';
import { common, groupKey, satisfies } from './group.js';

/**
 * `temporal` and `temporal_ordered`: the referenced rules match within `timespan` for one group.
 * Without a condition all of them must match; with one (`gte: 2`), the number of distinct rules
 * that matched must satisfy it. `temporal_ordered` also requires the matches in the order the
 * rules are listed: it keeps, per rule, the longest ordered run ending with that rule (the
 * latest-starting on ties), so a run can start again after an out-of-order match.
 *
 * A finding has one step per rule that counted, numbered by the rule's place in `rules` (step 2
 * is the second rule listed) and labelled with the rule's name or title.
 */

/** An input with the 0-based position in `rules` that it counted for. */
interface Placed {
  position: number;
  input: CorrelationInput;
}

interface Run {
  start: number;
  length: number;
  inputs: Placed[];
}

interface Group {
  values: Record<string, string>;
  /** temporal: latest input per rule position. */
  latest: (CorrelationInput | undefined)[];
  /** temporal_ordered: best run ending at each rule position. */
  runs: (Run | undefined)[];
  lastTime: number;
}

export class TemporalCorrelation implements Correlation {
  private readonly groups = new Map<string, Group>();
  private readonly needed: number;

  /**
   * `positions(input)` gives the rule positions (in `rule.rules`) an input matched; `labels`
   * names the rule at each position.
   */
  constructor(
    private readonly rule: CorrelationRule,
    private readonly positions: (input: CorrelationInput) => number[],
    private readonly labels: readonly string[],
  ) {
    this.needed = rule.rules.length;
  }

  size(): number {
    return this.groups.size;
  }

  push(input: CorrelationInput, out: Finding[]): void {
    const { key, values } = groupKey(this.rule, input);
    let group = this.groups.get(key);
    if (!group) {
      group = { values, latest: [], runs: [], lastTime: input.time };
      this.groups.set(key, group);
    }
    group.lastTime = Math.max(group.lastTime, input.time);
    const cutoff = input.time - this.rule.timespanMs;
    const matched = this.positions(input);

    if (this.rule.type === 'temporal') {
      for (const position of matched) group.latest[position] = input;
      const live: Placed[] = [];
      group.latest.forEach((item, position) => {
        if (item !== undefined && item.time >= cutoff) live.push({ position, input: item });
      });
      if (this.met(live.length)) {
        out.push(this.finding(key, group, live));
        this.groups.delete(key);
      }
      return;
    }

    // Highest positions first, so that one input never extends a run it was just added to.
    for (const position of [...matched].sort((a, b) => b - a)) {
      const placed = { position, input };
      let best: Run = { start: input.time, length: 1, inputs: [placed] };
      for (let earlier = 0; earlier < position; earlier++) {
        const run = group.runs[earlier];
        if (!run || run.start < cutoff) continue;
        const last = run.inputs[run.inputs.length - 1]?.input;
        if (!last || last.time > input.time || last === input) continue;
        const candidate = {
          start: run.start,
          length: run.length + 1,
          inputs: [...run.inputs, placed],
        };
        if (
          candidate.length > best.length ||
          (candidate.length === best.length && candidate.start > best.start)
        ) {
          best = candidate;
        }
      }
      const current = group.runs[position];
      if (
        !current ||
        current.start < cutoff ||
        best.length > current.length ||
        (best.length === current.length && best.start >= current.start)
      ) {
        group.runs[position] = best;
      }
      if (this.met(best.length)) {
        out.push(this.finding(key, group, best.inputs));
        this.groups.delete(key);
        return;
      }
    }
  }

  advance(time: number): void {
    for (const [key, group] of this.groups) {
      if (group.lastTime < time - this.rule.timespanMs) this.groups.delete(key);
    }
  }

  flush(): void {
    this.groups.clear();
  }

  private met(count: number): boolean {
    if (Object.keys(this.rule.condition).length === 0) return count >= this.needed;
    return satisfies(this.rule.condition, count);
  }

  private finding(key: string, group: Group, placed: readonly Placed[]): Finding {
    const inputs = [...new Set(placed.map((item) => item.input))].sort((a, b) => a.time - b.time);
    const steps = [...placed]
      .sort((a, b) => a.position - b.position)
      .map(({ position, input }) => ({
        step: position + 1,
        label: this.labels[position] ?? this.rule.rules[position] ?? `rule ${position + 1}`,
        events: input.events,
      }));
    return {
      rule: this.rule,
      steps,
      group: group.values,
      party: common(inputs.map((input) => input.party)),
      actor: common(inputs.map((input) => input.actor)),
      instanceKey: `${key}@${inputs[0]?.time ?? 0}`,
      firstTime: inputs[0]?.time ?? 0,
      lastTime: inputs[inputs.length - 1]?.time ?? 0,
      omitted: 0,
    };
  }
}
