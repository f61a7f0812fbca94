import type { LogSource } from '../model/event.js';
import type { Location } from '../model/problem.js';
import type { ConditionNode } from './condition.js';

/** Rule metadata shared by detection and correlation rules. */
export interface RuleMeta {
  id: string;
  title: string;
  /** The `name` correlations refer to, when the rule has one. */
  name: string | undefined;
  status: string | undefined;
  level: string;
  author: string;
  description: string | undefined;
  tags: string[];
  references: string[];
  /** DET0488 analytic id from a `det0488.an13xx` tag, upper case. */
  analytic: string | undefined;
  /** ATT&CK technique ids from `attack.tNNNN` tags, upper case. */
  attack: string[];
  /** The file the rule was loaded from. */
  file: string;
  /** Upstream address of the rule (SigmaHQ tree), or its file path; alerts cite it. */
  source: string;
  location: Location;
  /** Top-level keys this engine does not use, kept as the rule wrote them. */
  extra: Record<string, unknown>;
}

export interface SearchDefinition {
  name: string;
  /** The YAML value of the search identifier. */
  value: unknown;
  /** Path of the identifier in its document, for problems. */
  path: (string | number)[];
}

export interface DetectionRule {
  kind: 'detection';
  meta: RuleMeta;
  logsource: LogSource;
  searches: SearchDefinition[];
  /** Conditions of the rule; a list of several is an OR (Sigma 1.x style). */
  conditions: ConditionNode[];
  /** Sigma filters applied to the rule: each condition must hold too. */
  filters: FilterRule[];
  /** Whether matches raise alerts of their own (false for rules only correlations use). */
  emits: boolean;
}

/** A Sigma filter: searches and a condition added to the detection rules it names. */
export interface FilterRule {
  kind: 'filter';
  meta: RuleMeta;
  /** Rules of this log source (the rule names at least these keys, with equal values) qualify. */
  logsource: LogSource;
  /** Ids or names of the rules, or `any` for every rule of the log source. */
  targets: string[] | 'any';
  searches: SearchDefinition[];
  condition: ConditionNode;
}

export type CorrelationType =
  | 'event_count'
  | 'value_count'
  | 'temporal'
  | 'temporal_ordered'
  | 'chain';

export interface CountCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
}

/** One record kind that can count for a chain step, and how it links to the chain. */
export interface ChainMember {
  rules: string[];
  /** Key templates the record must share with the chain, by key space. */
  links: Record<string, string[]>;
  /** Key templates the record adds to the chain, by key space. */
  provides: Record<string, string[]>;
  /** Template of the actor; the event's own actor when absent. */
  actor: string | undefined;
  /** Pairs of templates that must give different values (a logon to another host). */
  differ: [string, string][];
  /** Records of a counted member add up toward the step's threshold instead of sufficing alone. */
  counted: boolean;
  /** How much one counted record adds (a template giving a number); 1 when absent. */
  weight: string | undefined;
  /** remembered value name → template: the value must not have been seen for the party before. */
  unseen: Record<string, string>;
  /** Template of an address that must lie outside the party's networks. */
  outsideNetworks: string | undefined;
  /** Template of an address that must lie in the party's networks, when the party lists any. */
  insideNetworks: string | undefined;
}

/** Mass activity: counted records of a step must reach `count` within `windowMs`. */
export interface ChainThreshold {
  count: number;
  windowMs: number;
}

export interface ChainStep {
  name: string;
  /** Longest time from the nearest record of the previous step, in ms (0 for step 1). */
  withinMs: number;
  /**
   * Maximum time, in ms, that a record of this step may come before the previous step's record
   * that it links to. Records written at the same moment can arrive in either order. 0 when absent.
   */
  leadMs?: number;
  threshold: ChainThreshold | undefined;
  members: ChainMember[];
}

/** Chain-wide options of the `chain` correlation type. */
export interface ChainOptions {
  /** Records that link to instances and feed `remember`, without counting for a step. */
  observe: ChainMember[];
  /** name → template of values remembered per party from every record of its instances. */
  remember: Record<string, string>;
  /** Step whose record names the alert's actor; the first step when absent. */
  actorFrom: string | undefined;
  /** How long observers still link records to a closed instance for `remember`, in ms. */
  observeWithinMs?: number;
}

export interface CorrelationRule {
  kind: 'correlation';
  meta: RuleMeta;
  type: CorrelationType;
  /** Referenced rules, by id or name as written. */
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  condition: CountCondition;
  /** For value_count: the field whose distinct values are counted. */
  valueField: string | undefined;
  /** alias → rule id or name → field */
  aliases: Record<string, Record<string, string>>;
  /** Sigma `generate`: whether the referenced rules still raise alerts of their own. */
  generate: boolean;
  /** Whether this correlation raises alerts (false when another correlation uses it). */
  emits: boolean;
  steps: ChainStep[];
  chain: ChainOptions;
}

export type Rule = DetectionRule | CorrelationRule;
