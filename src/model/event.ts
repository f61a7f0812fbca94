/**
 * The Event every source produces and every later stage reads: the record's own fields, named
 * as Sigma rules for its log source name them, plus a small normalized core for entity keys,
 * enrichment and display.
 */

/** Sigma log source of an event or a rule. */
export interface LogSource {
  product?: string;
  service?: string;
  category?: string;
}

/** Where a record came from, in the numbering of the scenario convention. */
export interface Origin {
  /** The path as given on the command line (joined with the path inside a folder or archive). */
  file: string;
  /** Line in a line format, 1-based element of a JSON array, 1-based Event of an XML file. */
  record: number;
  /** First line of the record in the decoded text, or 0 for binary formats. */
  line: number;
}

/** Normalized fields shared by all sources. Each is absent when the record does not carry it. */
export interface EventCore {
  /** The acting identity as the logs write it (DOMAIN\user, UPN, role session ARN, app id). */
  actor?: string;
  /** Other identity names in the record that can tie it to a party (explicit credentials). */
  identities?: string[];
  session?: string;
  host?: string;
  srcIp?: string;
  target?: string;
  action?: string;
  outcome?: 'success' | 'failure';
  /** The acting identity's home tenant or organisation. */
  tenant?: string;
  /**
   * A tenant the record acts on that is not the actor's own, such as the partner tenant of a
   * delegated administration relationship. It ties records of the customer's own admins to a
   * party.
   */
  targetTenant?: string;
  cloudAccount?: string;
  app?: string;
}

export interface Event {
  /** Event time, epoch milliseconds UTC. */
  time: number;
  /** Event time as the record writes it. */
  timeText: string;
  /** Name of the source format that parsed the record. */
  format: string;
  logsource: LogSource;
  fields: Record<string, unknown>;
  core: EventCore;
  /** Fields added by enrichment (`trust.*`, `geo.*`, `baseline.*`), keyed by dotted name. */
  extra: Record<string, unknown>;
  origin: Origin;
  /** One-line description for evidence lists, set by the source format. */
  summary: string;
}
