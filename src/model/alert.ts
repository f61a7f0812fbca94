/** The alert every sink receives. Field names are part of the output format (NDJSON, JSON, SQLite). */

export interface EvidenceItem {
  /**
   * Step (1-based) the record counted for: the chain step; for `temporal` and
   * `temporal_ordered`, the place in `rules` of the rule it matched; else 1.
   */
  step: number;
  /** Name of the chain step, the name or title of a temporal correlation's rule, or the title. */
  label: string;
  file: string;
  record: number;
  time: string;
  summary: string;
  /** Values of the fields the matching rule and the chain's links read, as the record has them. */
  fields: Record<string, unknown>;
  /**
   * The rules the record matched, among those the alert's rule or chain step uses; for a
   * detection alert, its own rule. Absent in alerts stored before it was recorded.
   */
  rules?: EvidenceRule[];
  /**
   * The party the record belongs to and the context entry that tied it, or null when the record
   * belongs to none. Absent in alerts stored before it was recorded.
   */
  trust?: EvidenceTrust | null;
}

/** A rule an evidence record matched. */
export interface EvidenceRule {
  id: string;
  title: string;
  /** The rule's `name`, which correlations refer to, or null. */
  name: string | null;
  /** 1-based place of the rule in the `rules` list of the correlation that uses it. */
  position?: number;
  /** When the rule is itself a correlation: the rules the record matched inside it. */
  rules?: EvidenceRule[];
}

/** The context entry that tied an evidence record to its party, and the record's scope. */
export interface EvidenceTrust {
  party: string;
  /** Kind of relationship (`msp`, `vendor` …), as the context file gives it. */
  kind: string;
  /** Attribute of the party that matched: account, app, tenant, cloud_account, network … */
  matched_by: string;
  /** The party's entry that matched, as the context file writes it. */
  entry: string;
  /** Normalized event attribute compared with the entry: actor, identity, src_ip, app … */
  field: string;
  /** The attribute's value in the record. */
  value: string;
  /** Fields of the record that hold the value, as rules name them; empty when it is composed. */
  record_fields: string[];
  in_scope: boolean;
  /** Reasons the record left the party's expected scope, or null. */
  scope_reason: string | null;
}

/** One reason for an alert's severity, with the points it adds. */
export interface SeverityFactor {
  factor: string;
  points: number;
  detail: string;
}

export interface Severity {
  level: 'low' | 'medium' | 'high' | 'critical';
  score: number;
  factors: SeverityFactor[];
}

export interface Suppression {
  reason: string;
  /** The allow-list entry, as the context file writes it. */
  entry: string;
}

export interface AlertRule {
  id: string;
  title: string;
  /** The rule's `name`, which correlations refer to, or null. */
  name: string | null;
  level: string;
  author: string;
  /**
   * Link to the rule: its upstream address when the file sits in a SigmaHQ-style tree, else the
   * file path.
   */
  source: string;
  /** The rule file the rule was loaded from. */
  file: string;
  /** Detection rule, a Sigma correlation type, or `chain`. */
  type: string;
}

export interface Alert {
  /** Stable id: the same rule, party, actor and chain instance always give the same id. */
  id: string;
  rule: AlertRule;
  /** DET0488 analytic id (`AN1344` …) when the rule belongs to one, else null. */
  analytic: string | null;
  /** ATT&CK technique ids from the rule's tags, upper case (`T1199`). */
  attack: string[];
  party: string | null;
  actor: string | null;
  host: string | null;
  level: string;
  severity: Severity;
  first_time: string;
  last_time: string;
  /** Group-by values of a correlation, keyed by field or alias name. */
  group: Record<string, string> | null;
  evidence: EvidenceItem[];
  /** Records that also counted but were left out of `evidence` to keep alerts bounded. */
  evidence_omitted: number;
  suppressed: boolean;
  suppression: Suppression | null;
  /** Ids of chain alerts merged into this one (same rule, party and actor, overlapping in time). */
  grouped: string[];
}
