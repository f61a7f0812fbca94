/**
 * Schema of the SQLite store, as numbered migrations applied in order. A database records the
 * versions it has in `schema_migrations`; a newer trustwatch applies the missing ones.
 */
export const SQLITE_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        rule_title TEXT NOT NULL,
        level TEXT NOT NULL,
        analytic TEXT,
        party TEXT,
        actor TEXT,
        host TEXT,
        first_time TEXT NOT NULL,
        last_time TEXT NOT NULL,
        suppressed INTEGER NOT NULL DEFAULT 0,
        alert_json TEXT NOT NULL,
        first_scan_id INTEGER,
        created_at TEXT NOT NULL
      );
      CREATE INDEX alerts_party_time ON alerts (party, first_time);
      CREATE INDEX alerts_rule ON alerts (rule_id);
      CREATE TABLE scans (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        paths_json TEXT NOT NULL,
        records_read INTEGER NOT NULL DEFAULT 0,
        records_parsed INTEGER NOT NULL DEFAULT 0,
        records_rejected INTEGER NOT NULL DEFAULT 0,
        alerts_raised INTEGER NOT NULL DEFAULT 0,
        alerts_new INTEGER NOT NULL DEFAULT 0,
        stats_json TEXT
      );
      CREATE TABLE scan_files (
        scan_id INTEGER NOT NULL REFERENCES scans (id),
        path TEXT NOT NULL,
        format TEXT,
        records_read INTEGER NOT NULL,
        records_parsed INTEGER NOT NULL,
        records_rejected INTEGER NOT NULL,
        rejected_json TEXT NOT NULL,
        error TEXT
      );
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE baselines (
        entity_kind TEXT NOT NULL,
        entity TEXT NOT NULL,
        attribute TEXT NOT NULL,
        value TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (entity_kind, entity, attribute, value)
      );
    `,
  },
  {
    // A scan stopped by a signal keeps finished_at NULL, so queries for finished scans still
    // find only complete ones. interrupted_at distinguishes it from a scan still running or killed.
    version: 3,
    sql: `
      ALTER TABLE scans ADD COLUMN interrupted_at TEXT;
      ALTER TABLE scans ADD COLUMN interrupted_by TEXT;
      ALTER TABLE scan_files ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    // A view, not a table, because it reads the stored alert JSON: saving an alert still writes
    // one row, and alerts stored by earlier versions appear too. Those have no party match, and
    // a rule only when they are detection alerts, whose rule is the alert's own.
    version: 4,
    sql: `
      CREATE VIEW alert_evidence AS
      SELECT
        alerts.id AS alert_id,
        evidence.key AS item,
        json_extract(evidence.value, '$.step') AS step,
        json_extract(evidence.value, '$.label') AS label,
        json_extract(evidence.value, '$.file') AS file,
        json_extract(evidence.value, '$.record') AS record,
        json_extract(evidence.value, '$.time') AS time,
        CASE WHEN rule.value IS NOT NULL THEN json_extract(rule.value, '$.id')
          WHEN json_extract(alerts.alert_json, '$.rule.type') = 'detection' THEN alerts.rule_id
        END AS rule_id,
        CASE WHEN rule.value IS NOT NULL THEN json_extract(rule.value, '$.title')
          WHEN json_extract(alerts.alert_json, '$.rule.type') = 'detection' THEN alerts.rule_title
        END AS rule_title,
        CASE WHEN rule.value IS NOT NULL THEN json_extract(rule.value, '$.name')
          WHEN json_extract(alerts.alert_json, '$.rule.type') = 'detection'
            THEN json_extract(alerts.alert_json, '$.rule.name')
        END AS rule_name,
        json_extract(rule.value, '$.position') AS rule_position,
        json_extract(evidence.value, '$.trust.party') AS party,
        json_extract(evidence.value, '$.trust.matched_by') AS matched_by,
        json_extract(evidence.value, '$.trust.entry') AS matched_entry,
        json_extract(evidence.value, '$.trust.field') AS matched_field,
        json_extract(evidence.value, '$.trust.value') AS matched_value
      FROM alerts
      JOIN json_each(alerts.alert_json, '$.evidence') AS evidence
      LEFT JOIN json_each(evidence.value, '$.rules') AS rule;
    `,
  },
];
