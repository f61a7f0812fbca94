import type { Event } from '../model/event.js';
import type { Rule } from '../rules/rule.js';

/**
 * What the engine reports: a rule that matched, with the records of each step. The alert stage
 * turns findings into alerts (ids, evidence, severity); the engine never formats.
 */

export interface FindingStep {
  /** 1-based step number. */
  step: number;
  /** Step name for chains, rule title otherwise. */
  label: string;
  events: Event[];
}

export interface Finding {
  rule: Rule;
  steps: FindingStep[];
  /** Group-by values of a Sigma correlation. */
  group: Record<string, string> | null;
  party: string | undefined;
  actor: string | undefined;
  /** Identifies the chain instance or correlation window, for stable alert ids. */
  instanceKey: string;
  firstTime: number;
  lastTime: number;
  /** Records that also counted but were not kept, to bound memory. */
  omitted: number;
}

/** An input of a correlation: a matched event, or the finding of a correlation it uses. */
export interface CorrelationInput {
  time: number;
  /** The referenced rules that matched, by id and name. */
  rules: { id: string; name: string | undefined }[];
  /** Field lookup for group-by (the event's fields, or the group of an inner finding). */
  get(field: string): unknown;
  events: Event[];
  party: string | undefined;
  actor: string | undefined;
  host: string | undefined;
}

export interface Correlation {
  push(input: CorrelationInput, out: Finding[]): void;
  /** Emits what the windows closed by `time` hold, and forgets expired state. */
  advance(time: number, out: Finding[]): void;
  /** Emits everything still held at the end of the input. */
  flush(out: Finding[]): void;
  /** Groups or chain instances currently held. */
  size(): number;
}

/** Most records a finding keeps per step; later ones are counted in `omitted`. */
export const MAX_EVIDENCE_PER_STEP = 100;
