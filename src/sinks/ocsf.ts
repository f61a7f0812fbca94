import type { Alert } from '../model/alert.js';

/**
 * Alerts as OCSF Detection Finding events (class 2004, schema 1.3.0), for SIEMs and data lakes
 * that ingest OCSF. Written by hand: no package on npm ships OCSF types. trustwatch fields that
 * OCSF has no attribute for (party, analytic, severity factors, suppression) go under `unmapped`.
 */

export const OCSF_VERSION = '1.3.0';

const SEVERITY_IDS: Record<string, number> = {
  informational: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};

export interface OcsfDetectionFinding {
  activity_id: number;
  activity_name: string;
  category_uid: number;
  category_name: string;
  class_uid: number;
  class_name: string;
  type_uid: number;
  type_name: string;
  severity_id: number;
  severity: string;
  status_id: number;
  status: string;
  time: number;
  message: string;
  metadata: Record<string, unknown>;
  finding_info: Record<string, unknown>;
  actor?: Record<string, unknown>;
  resources?: Record<string, unknown>[];
  evidences: Record<string, unknown>[];
  risk_score: number;
  unmapped: Record<string, unknown>;
}

export function toOcsf(alert: Alert, productVersion: string): OcsfDetectionFinding {
  const severity = alert.severity.level;
  const who = [alert.party, alert.actor].filter(Boolean).join(' / ');
  const finding: OcsfDetectionFinding = {
    activity_id: 1,
    activity_name: 'Create',
    category_uid: 2,
    category_name: 'Findings',
    class_uid: 2004,
    class_name: 'Detection Finding',
    type_uid: 200401,
    type_name: 'Detection Finding: Create',
    severity_id: SEVERITY_IDS[severity] ?? 0,
    severity: severity.charAt(0).toUpperCase() + severity.slice(1),
    status_id: alert.suppressed ? 3 : 1,
    status: alert.suppressed ? 'Suppressed' : 'New',
    time: Date.parse(alert.last_time),
    message: who ? `${alert.rule.title}: ${who}` : alert.rule.title,
    metadata: {
      version: OCSF_VERSION,
      uid: alert.id,
      product: { name: 'trustwatch', vendor_name: 'trustwatch', version: productVersion },
    },
    finding_info: {
      uid: alert.id,
      title: alert.rule.title,
      types: [alert.analytic ?? alert.rule.type],
      first_seen_time: Date.parse(alert.first_time),
      last_seen_time: Date.parse(alert.last_time),
      analytic: { uid: alert.rule.id, name: alert.rule.title, type_id: 1, type: 'Rule' },
      attacks: alert.attack.map((technique) => ({ technique: { uid: technique }, version: 'v17' })),
      related_events: alert.evidence.map((item) => ({
        uid: `${item.file}#${item.record}`,
        time: Date.parse(item.time),
        message: item.summary,
      })),
      src_url: alert.rule.source,
    },
    evidences: alert.evidence.map((item) => ({
      data: {
        step: item.step,
        label: item.label,
        file: item.file,
        record: item.record,
        fields: item.fields,
        rules: item.rules ?? [],
        trust: item.trust ?? null,
      },
    })),
    risk_score: alert.severity.score,
    unmapped: {
      party: alert.party,
      analytic: alert.analytic,
      rule_author: alert.rule.author,
      rule_level: alert.level,
      severity_factors: alert.severity.factors,
      group: alert.group,
      grouped: alert.grouped,
      evidence_omitted: alert.evidence_omitted,
      suppression: alert.suppression,
    },
  };
  if (alert.actor) finding.actor = { user: { name: alert.actor } };
  if (alert.host) finding.resources = [{ name: alert.host, type: 'Host' }];
  return finding;
}
