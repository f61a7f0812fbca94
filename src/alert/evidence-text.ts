import type { Alert, EvidenceRule, EvidenceTrust } from '../model/alert.js';

/**
 * One-line descriptions of an evidence record's rules and party match, shared by explain, the
 * alert table and the HTML report. Callers escape the text for their output.
 */

/**
 * Describes the rules a record matched: `rule 2 vendor_sudo_root: Sudo to root (id)`, the
 * number being the rule's place in the correlation's `rules`. An inner correlation's own rules
 * follow after `>`.
 */
export function describeRules(rules: readonly EvidenceRule[]): string {
  return rules.map(describeRule).join('; ');
}

function describeRule(rule: EvidenceRule): string {
  const place = rule.position === undefined ? '' : ` ${rule.position}`;
  const name = rule.name === null ? '' : ` ${rule.name}`;
  const text = `rule${place}${name}: ${rule.title} (${rule.id})`;
  if (rule.rules === undefined || rule.rules.length === 0) return text;
  return `${text} > ${rule.rules.map(describeRule).join(', ')}`;
}

/**
 * Describes why a record belongs to its party: `Globex (vendor): network entry 10.0.2.0/24
 * matched src_ip 10.0.2.17 in record field IpAddress`.
 */
export function describeTrust(trust: EvidenceTrust): string {
  const match = `${describeEntry(trust)} matched ${trust.field} ${trust.value}`;
  const fields = trust.record_fields.join(', ');
  const where = fields === '' ? '' : ` in record field ${fields}`;
  return `${trust.party} (${trust.kind}): ${match}${where}`;
}

/** Describes the context entry of a party match, as `network entry 10.0.2.0/24`. */
export function describeEntry(trust: EvidenceTrust): string {
  return `${trust.matched_by} entry ${trust.entry}`;
}

/** Lists the distinct context entries that tied the alert's records to its party. */
export function partyEntries(alert: Alert): string[] {
  const entries = new Set<string>();
  for (const item of alert.evidence) {
    if (item.trust && item.trust.party === alert.party) entries.add(describeEntry(item.trust));
  }
  return [...entries];
}
