import { createHash } from 'node:crypto';
import type { Finding } from '../engine/finding.js';
import type { Alert, EvidenceItem } from '../model/alert.js';
import type { Event } from '../model/event.js';
import { formatTime } from '../model/time.js';
import type { Rule } from '../rules/rule.js';

/**
 * Turns engine findings into alerts: a stable id (the same rule, party, actor and chain instance
 * always give the same id, so that scanning the same input twice into one database adds
 * nothing), the evidence list, ATT&CK ids and the rule's attribution.
 */

export function alertId(parts: readonly (string | number | undefined)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part ?? ''}\u0000`);
  return hash.digest('hex').slice(0, 32);
}

function ruleType(rule: Rule): string {
  return rule.kind === 'detection' ? 'detection' : rule.type;
}

export function evidenceItem(step: number, label: string, event: Event): EvidenceItem {
  return {
    step,
    label,
    file: event.origin.file,
    record: event.origin.record,
    time: formatTime(event.time),
    summary: event.summary,
  };
}

/** Builds the alert of a finding. */
export function buildAlert(finding: Finding): Alert {
  const rule = finding.rule;
  const evidence = finding.steps.flatMap((step) =>
    step.events.map((event) => evidenceItem(step.step, step.label, event)),
  );
  const first = finding.steps[0]?.events[0];
  const id =
    rule.kind === 'detection' && first
      ? alertId([rule.meta.id, first.origin.file, first.origin.record, first.time])
      : alertId([rule.meta.id, finding.party, finding.actor, finding.instanceKey]);

  return {
    id,
    rule: {
      id: rule.meta.id,
      title: rule.meta.title,
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
    first_time: formatTime(finding.firstTime),
    last_time: formatTime(finding.lastTime),
    group: finding.group,
    evidence,
    evidence_omitted: finding.omitted,
    suppressed: false,
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
