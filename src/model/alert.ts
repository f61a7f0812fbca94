/** The alert every sink receives. Field names are part of the output format (NDJSON, JSON, SQLite). */

export interface EvidenceItem {
  /** Chain step (1-based); 1 for single-event rules and the counted events of a correlation. */
  step: number;
  /** Name of the chain step or the rule that matched the record. */
  label: string;
  file: string;
  record: number;
  time: string;
  summary: string;
  /** Values of the fields the matching rule and the chain's links read, as the record has them. */
  fields: Record<string, unknown>;
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
