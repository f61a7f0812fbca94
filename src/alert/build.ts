import { createHash } from 'node:crypto';
import type { Finding, FindingStep } from '../engine/finding.js';
import type { Alert, EvidenceItem } from '../model/alert.js';
import type { Event } from '../model/event.js';
import { formatTime } from '../model/time.js';
import { fieldAccessor } from '../rules/fields.js';
import type { DetectionRule, Rule } from '../rules/rule.js';
import { detectionFields, memberTemplateFields } from '../rules/rule-fields.js';
import { detectionLeaves, evidenceRules, type RuleLookup } from './evidence-rules.js';
import { evidenceTrust } from './evidence-trust.js';
import { assessSeverity, type SeverityOptions } from './severity.js';

/**
 * Turns engine findings into alerts: a stable id, the evidence list with the values that made
 * each record count, the severity and its factors, ATT&CK ids and the rule's attribution. The
 * same rule, party, actor and chain instance always give the same id. A detection alert's id is
 * made of its rule, the identity of its input (not the spelling of its path), its record number
 * and its time. So scanning the same input twice into one database adds nothing.
 */

export function alertId(parts: readonly (string | number | undefined)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part ?? ''}\u0000`);
  return hash.digest('hex').slice(0, 32);
}

function ruleType(rule: Rule): string {
  return rule.kind === 'detection' ? 'detection' : rule.type;
}

export interface BuildOptions extends SeverityOptions {
  /** The detection rules an event matched. */
  matchedRules(event: Event): readonly DetectionRule[];
  /** Finds the rules that correlations and chain steps refer to, by id or name. */
  ruleByReference: RuleLookup;
  /**
   * The identity of the input an evidence path names, however the path was spelled (see
   * `InputFile.key`); the path itself when absent.
   */
  inputKey?(file: string): string;
}

/** Most characters of one field value kept in evidence. */
const MAX_FIELD_TEXT = 500;

function fieldValues(event: Event, names: Iterable<string>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const value = fieldAccessor(name).get(event);
    if (value === undefined) continue;
    values[name] =
      typeof value === 'string' && value.length > MAX_FIELD_TEXT
        ? `${value.slice(0, MAX_FIELD_TEXT)}…`
        : value;
  }
  return values;
}

/** Builds the evidence item of one record of a finding step. */
function evidenceItem(
  rule: Rule,
  step: FindingStep,
  event: Event,
  options: BuildOptions,
): EvidenceItem {
  const matched = options.matchedRules(event);
  const rules = evidenceRules(rule, step.step, matched, options.ruleByReference);
  const leaves = detectionLeaves(rules, matched);

  const names = new Set<string>();
  for (const item of leaves) for (const name of detectionFields(item)) names.add(name);
  const chainStep =
    rule.kind === 'correlation' && rule.type === 'chain' ? rule.steps[step.step - 1] : undefined;
  const refs = new Set(leaves.flatMap((item) => [item.meta.id, item.meta.name ?? '']));
  for (const member of chainStep?.members ?? []) {
    if (!member.rules.some((reference) => refs.has(reference))) continue;
    for (const name of memberTemplateFields(member)) names.add(name);
  }

  return {
    step: step.step,
    label: step.label,
    file: event.origin.file,
    record: event.origin.record,
    time: formatTime(event.time),
    summary: event.summary,
    fields: fieldValues(event, names),
    rules,
    trust: evidenceTrust(event),
  };
}

/** Builds the alert of a finding. */
export function buildAlert(finding: Finding, options: BuildOptions): Alert {
  const rule = finding.rule;
  const evidence = finding.steps.flatMap((step) =>
    step.events.map((event) => evidenceItem(rule, step, event, options)),
  );
  const first = finding.steps[0]?.events[0];
  const input = first ? (options.inputKey?.(first.origin.file) ?? first.origin.file) : undefined;
  const id =
    rule.kind === 'detection' && first
      ? alertId([rule.meta.id, input, first.origin.record, first.time])
      : alertId([rule.meta.id, finding.party, finding.actor, finding.instanceKey]);

  return {
    id,
    rule: {
      id: rule.meta.id,
      title: rule.meta.title,
      name: rule.meta.name ?? null,
      level: rule.meta.level,
      author: rule.meta.author,
      source: rule.meta.source,
      file: rule.meta.file,
      type: ruleType(rule),
    },
    analytic: rule.meta.analytic ?? null,
    attack: rule.meta.attack,
    party: finding.party ?? null,
    actor: finding.actor ?? null,
    host: first?.core.host ?? null,
    level: rule.meta.level,
    severity: assessSeverity(finding, options),
    first_time: formatTime(finding.firstTime),
    last_time: formatTime(finding.lastTime),
    group: finding.group,
    evidence,
    evidence_omitted: finding.omitted,
    suppressed: false,
    suppression: null,
    grouped: [],
  };
}

/** The finding of a detection rule for one matched event. */
export function detectionFinding(rule: Rule, event: Event): Finding {
  const party = event.extra['trust.party'];
  return {
    rule,
    steps: [{ step: 1, label: rule.meta.title, events: [event] }],
    group: null,
    party: typeof party === 'string' ? party : undefined,
    actor: event.core.actor,
    instanceKey: `${event.origin.file}#${event.origin.record}`,
    firstTime: event.time,
    lastTime: event.time,
    omitted: 0,
  };
}
