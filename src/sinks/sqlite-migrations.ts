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
];
