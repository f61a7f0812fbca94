import type { Finding } from '../engine/finding.js';
import type { Severity, SeverityFactor } from '../model/alert.js';
import type { Event } from '../model/event.js';

/**
 * Severity of an alert: the rule's level as a base score, plus points for what the evidence
 * shows. Every factor is listed in the alert with its points and detail, so that an analyst can
 * see why. docs/alerts.md lists the factors.
 */

const BASE: Record<string, number> = {
  informational: 10,
  low: 25,
  medium: 45,
  high: 65,
  critical: 85,
};

export interface SeverityOptions {
  /** Group, role and policy names whose grant counts as a privileged target. */
  privilegedTargets: ReadonlySet<string>;
}

function levelOf(score: number): Severity['level'] {
  if (score >= 80) return 'critical';
  if (score >= 60) return 'high';

  if (score >= 35) return 'medium';
  return 'low';
}

export function assessSeverity(finding: Finding, options: SeverityOptions): Severity {
  const events = finding.steps.flatMap((step) => step.events);
  const factors: SeverityFactor[] = [];
  const base = BASE[finding.rule.meta.level] ?? BASE.informational ?? 10;
  factors.push({
    factor: 'rule_level',
    points: base,
    detail: `rule level ${finding.rule.meta.level}`,
  });

  if (finding.rule.kind === 'correlation' && finding.rule.type === 'chain') {
    factors.push({
      factor: 'chain',
      points: 5,
      detail: `all ${finding.steps.length} steps of the chain`,
    });
  }

  const outOfScope = events.find((event) => event.extra['trust.in_scope'] === false);
  if (outOfScope) {
    factors.push({
      factor: 'out_of_scope',
      points: 10,
      detail: String(outOfScope.extra['trust.scope_reason'] ?? 'outside the expected scope'),
    });
  }

  const privileged = events.map((event) => privilegedTarget(event, options)).find(Boolean);
  if (privileged) factors.push({ factor: 'privileged_target', points: 10, detail: privileged });

  for (const [field, factor, points, what] of [
    ['baseline.party.country.first_seen', 'first_seen_country', 15, 'country'],
    ['baseline.party.asn.first_seen', 'first_seen_asn', 10, 'network owner (ASN)'],
    ['baseline.party.network.first_seen', 'first_seen_network', 10, 'source network'],
  ] as const) {
    const event = events.find((item) => item.extra[field] === true);
    if (event) {
      const value = event.extra[field.replace('.first_seen', '.value')] ?? event.core.srcIp;
      factors.push({
        factor,
        points,
        detail: `${what} ${String(value)} never seen before for ${finding.party ?? 'the party'}`,
      });
    }
  }

  const hosts = new Set(events.map((event) => event.core.host?.toLowerCase()).filter(Boolean));
  if (hosts.size > 1) {
    factors.push({
      factor: 'hosts_reached',
      points: Math.min(15, (hosts.size - 1) * 5),
      detail: `${hosts.size} hosts: ${[...hosts].slice(0, 5).join(', ')}`,
    });
  }

  const largest = Math.max(0, ...finding.steps.map((step) => step.events.length));
  if (finding.rule.kind === 'correlation' && largest >= 20) {
    factors.push({ factor: 'mass_activity', points: 10, detail: `${largest} records in one step` });
  }

  const score = Math.min(
    100,
    factors.reduce((sum, factor) => sum + factor.points, 0),
  );
  return { level: levelOf(score), score, factors };
}

/** Windows events that add a member to the group named by TargetUserName. */
const GROUP_CHANGE_EVENTS = new Set(['4728', '4732', '4756']);

function privilegedTarget(event: Event, options: SeverityOptions): string | undefined {
  const fields = event.fields;
  const names = GROUP_CHANGE_EVENTS.has(String(fields.EventID)) ? ['TargetUserName'] : [];
  names.push('GroupName', 'roleName', 'policyArn', 'Role', 'role');
  for (const name of names) {
    const value = fields[name];
    if (typeof value !== 'string') continue;
    const short = value.split(/[\\/:]/).pop() ?? value;
    if (
      options.privilegedTargets.has(value.toLowerCase()) ||
      options.privilegedTargets.has(short.toLowerCase())
    ) {
      return `${name} ${value}`;
    }
  }
  return undefined;
}
