import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { BaselineAttribute, BaselineEntityKind } from '../enrich/baseline.js';
import { SightingSet } from '../enrich/baseline.js';
import type { Alert } from '../model/alert.js';
import { EnvironmentError } from '../model/errors.js';

import type { Clock } from '../model/logger.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

/** SQLite result codes that come from the database file, its folder or the disk, not from SQL. */
const FILE_FAILURE_CODES =
  /^SQLITE_(BUSY|LOCKED|READONLY|IOERR|CORRUPT|FULL|CANTOPEN|PERM|NOTADB|AUTH)(_|$)/;

/** Returns true when a better-sqlite3 error comes from the database file or folder, not SQL. */
export function isStoreFileFailure(error: unknown): boolean {
  // better-sqlite3 raises a TypeError of its own when the folder of the file does not exist.
  if (error instanceof TypeError && error.message.startsWith('Cannot open database')) return true;
  return error instanceof Database.SqliteError && FILE_FAILURE_CODES.test(error.code);
}

/** Turns a failure to open the database file into an EnvironmentError naming the path. */
function openFailure(
  path: string,
  error: unknown,
  mode: { readOnly: boolean; existing: boolean },
): unknown {
  if (!isStoreFileFailure(error)) return error;
  const reason = (error as Error).message;
  const code = (error as { code?: unknown }).code;
  // SQLite reads a file in write-ahead log mode only where it can make the `-shm` file beside it.
  const cannotWrite = code === 'SQLITE_CANTOPEN' || String(code).startsWith('SQLITE_READONLY');
  let hint = '';
  if (cannotWrite && mode.readOnly) {
    hint =
      '. The file or its folder is read-only, and a database left in write-ahead log mode (by a scan that did not end, or an older trustwatch) can only be read where SQLite can write beside it: copy it to a writable folder';
  } else if (cannotWrite && !mode.existing) {
    hint = '. Give --db a path in a writable folder, or --db :memory: to keep no alerts';
  }
  return new EnvironmentError(
    'store.unavailable',
    `failed to open the database: ${reason}${hint}`,
    {
      file: path,
    },
  );
}

/** Per-file counts of a scan, as stored. */
export interface StoredFileStats {
  path: string;
  format: string | undefined;
  read: number;
  parsed: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  error: string | undefined;
  /** Set when the scan was stopped before the end of this input. */
  interrupted: boolean;
}

export interface StoredScanStats {
  read: number;
  parsed: number;
  rejected: number;
  alerts: number;
  newAlerts: number;
  extra: Record<string, unknown>;
}

export interface StoreOptions {
  /**
   * Opens only a database that a scan made before: a missing file is an error instead of a new
   * database, and so is a SQLite file without trustwatch's tables, which is left unchanged.
   */
  existing?: boolean;
  /**
   * For commands that only read, such as `explain`: a file or folder that cannot be written,
   * such as a database handed over on a read-only share, is opened read-only. Implies
   * `existing`.
   */
  reading?: boolean;
}

/**
 * The embedded alert store. `:memory:` keeps nothing after the process ends. Alerts are keyed by
 * their stable id, so the same alert saved twice stays one row.
 */
export class SqliteStore {
  private readonly db: Database.Database;
  private readonly insertAlert: Database.Statement;
  private readonly updateAlert: Database.Statement;
  /** True when the file was opened read-only (see `StoreOptions.reading`). */
  readonly readOnly: boolean;

  constructor(
    path: string,
    private readonly clock: Clock,
    options: StoreOptions = {},
  ) {
    const existing = (options.existing ?? false) || (options.reading ?? false);
    if (existing && !existsSync(path)) {
      throw new EnvironmentError(
        'store.not_found',
        `database not found; a scan with --db ${path} creates it`,
        { file: path },
      );
    }
    this.readOnly = (options.reading ?? false) && !writable(path);
    try {
      this.db = new Database(path, { fileMustExist: existing, readonly: this.readOnly });
      const problem =
        this.schemaProblem(existing) ?? (this.readOnly ? this.olderSchema() : undefined);
      if (problem !== undefined) {
        this.db.close();
        throw new EnvironmentError(problem.code, problem.message, { file: path });
      }
      if (!this.readOnly) {
        if (path !== ':memory:') this.db.pragma('journal_mode = WAL');
        this.db.pragma('foreign_keys = ON');
        this.migrate();
      }
    } catch (error) {
      throw openFailure(path, error, { readOnly: this.readOnly, existing });
    }
    this.insertAlert = this.db.prepare(`
      INSERT INTO alerts (id, rule_id, rule_title, level, analytic, party, actor, host, first_time,
        last_time, suppressed, alert_json, first_scan_id, created_at)
      VALUES (@id, @rule_id, @rule_title, @level, @analytic, @party, @actor, @host, @first_time,
        @last_time, @suppressed, @alert_json, @scan_id, @created_at)
      ON CONFLICT (id) DO NOTHING
    `);
    this.updateAlert = this.db.prepare(`
      UPDATE alerts SET
        last_time = MAX(last_time, @last_time),
        alert_json = @alert_json,
        suppressed = @suppressed
      WHERE id = @id
    `);
  }

  /**
   * Checks, before anything is written, that the file is a trustwatch database whose schema this
   * build supports, or an empty database that it may set up. A SQLite file of another program is
   * never changed.
   */
  private schemaProblem(existing: boolean): { code: string; message: string } | undefined {
    const tables = (
      this.db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as { name: string }[]
    ).map((row) => row.name);

    if (!tables.includes('schema_migrations')) {
      if (!existing && tables.length === 0) return undefined;
      const found = tables.length === 0 ? 'no tables' : `tables ${tables.join(', ')}`;
      const next = existing ? 'a database that a scan made' : 'a new file';
      return {
        code: 'store.not_trustwatch',
        message: `not a trustwatch database: it has ${found} and no schema_migrations table, so it is left unchanged. Give --db ${next}.`,
      };
    }

    const newest = Math.max(0, ...this.versions());
    const known = Math.max(...SQLITE_MIGRATIONS.map((migration) => migration.version));
    if (newest <= known) return undefined;
    return {
      code: 'store.newer_schema',
      message: `the database has schema version ${newest}, newer than version ${known} of this trustwatch, so it is left unchanged. Upgrade trustwatch to use it.`,
    };
  }

  /**
   * Tells why a database opened read-only cannot be read: it lacks migrations of this build,
   * which only a writable file can take.
   */
  private olderSchema(): { code: string; message: string } | undefined {
    const applied = new Set(this.versions());
    const missing = SQLITE_MIGRATIONS.filter((migration) => !applied.has(migration.version));
    if (missing.length === 0) return undefined;
    const known = Math.max(...SQLITE_MIGRATIONS.map((migration) => migration.version));
    return {
      code: 'store.older_schema',
      message: `the database has an older schema than version ${known} of this trustwatch, and it cannot be written to upgrade it. Copy it to a writable folder and run the command on the copy.`,
    };
  }

  /** Schema versions applied, oldest first. */
  versions(): number[] {
    return (
      this.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as {
        version: number;
      }[]
    ).map((row) => row.version);
  }

  /**
   * Applies the missing migrations in one write transaction, taken before the applied versions
   * are read, so that two processes opening a new database never apply one migration twice.
   */
  private migrate(): void {
    const apply = this.db.transaction(() => {
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      const applied = new Set(this.versions());
      const record = this.db.prepare(
        'INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)',
      );
      for (const migration of SQLITE_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        this.db.exec(migration.sql);
        record.run(migration.version, new Date(this.clock.now()).toISOString());
      }
    });
    apply.immediate();
  }

  startScan(paths: readonly string[]): number {
    const result = this.db
      .prepare('INSERT INTO scans (started_at, paths_json) VALUES (?, ?)')
      .run(new Date(this.clock.now()).toISOString(), JSON.stringify(paths));
    return Number(result.lastInsertRowid);
  }

  /** Saves alerts in one transaction and returns how many were not stored before. */
  saveAlerts(alerts: readonly Alert[], scanId: number | undefined): number {
    let added = 0;
    this.db.transaction(() => {
      for (const alert of alerts) if (this.saveAlert(alert, scanId)) added++;
    })();
    return added;
  }

  /**
   * Saves an alert and returns true when its id was not stored before. The count of rows the
   * insert added decides, so two scans writing one database never both count an alert as new.
   */
  saveAlert(alert: Alert, scanId: number | undefined): boolean {
    const row = {
      id: alert.id,
      rule_id: alert.rule.id,
      rule_title: alert.rule.title,
      level: alert.level,
      analytic: alert.analytic,
      party: alert.party,
      actor: alert.actor,
      host: alert.host,
      first_time: alert.first_time,
      last_time: alert.last_time,
      suppressed: alert.suppressed ? 1 : 0,
      alert_json: JSON.stringify(alert),
      scan_id: scanId ?? null,
      created_at: new Date(this.clock.now()).toISOString(),
    };
    if (this.insertAlert.run(row).changes === 1) return true;

    // Stored before, by an earlier scan or by one running beside this one.
    this.updateAlert.run({
      id: row.id,
      last_time: row.last_time,
      alert_json: row.alert_json,
      suppressed: row.suppressed,
    });
    return false;
  }

  /**
   * Stores a scan's counts and its inputs. A scan that ran to its end gets `finished_at`; one
   * that a signal stopped gets `interrupted_at` and the signal's name instead.
   */
  finishScan(
    scanId: number,
    stats: StoredScanStats,
    files: readonly StoredFileStats[],
    interruptedBy?: string,
  ): void {
    const update = this.db.prepare(`
      UPDATE scans SET finished_at = ?, interrupted_at = ?, interrupted_by = ?, records_read = ?,
        records_parsed = ?, records_rejected = ?, alerts_raised = ?, alerts_new = ?,
        stats_json = ? WHERE id = ?`);
    const insertFile = this.db.prepare(`
      INSERT INTO scan_files (scan_id, path, format, records_read, records_parsed, records_rejected,
        rejected_json, error, interrupted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const now = new Date(this.clock.now()).toISOString();
    this.db.transaction(() => {
      update.run(
        interruptedBy === undefined ? now : null,
        interruptedBy === undefined ? null : now,
        interruptedBy ?? null,
        stats.read,
        stats.parsed,
        stats.rejected,
        stats.alerts,
        stats.newAlerts,
        JSON.stringify(stats.extra),
        scanId,
      );
      for (const file of files) {
        insertFile.run(
          scanId,
          file.path,
          file.format ?? null,
          file.read,
          file.parsed,
          file.rejected,
          JSON.stringify(file.rejectedByCode),
          file.error ?? null,
          file.interrupted ? 1 : 0,
        );
      }
    })();
  }

  /** Alerts whose id starts with `prefix` (at most 10). */
  findAlerts(prefix: string): Alert[] {
    const rows = this.db
      .prepare("SELECT alert_json FROM alerts WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 10")
      .all(`${prefix.replace(/[\\%_]/g, '\\$&')}%`) as { alert_json: string }[];
    return rows.map((row) => JSON.parse(row.alert_json) as Alert);
  }

  /** The stored baselines. */
  loadBaseline(): SightingSet {
    const set = new SightingSet();
    const rows = this.db
      .prepare(
        'SELECT entity_kind, entity, attribute, value, first_seen, last_seen, count FROM baselines',
      )
      .all() as {
      entity_kind: BaselineEntityKind;
      entity: string;
      attribute: BaselineAttribute;
      value: string;
      first_seen: number;
      last_seen: number;
      count: number;
    }[];
    for (const row of rows) {
      set.add({
        kind: row.entity_kind,
        entity: row.entity,
        attribute: row.attribute,
        value: row.value,
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
        count: row.count,
      });
    }
    return set;
  }

  /** Merges sightings into the stored baselines: earliest first, latest last, counts added. */
  saveBaseline(sightings: SightingSet): void {
    const upsert = this.db.prepare(`
      INSERT INTO baselines (entity_kind, entity, attribute, value, first_seen, last_seen, count)
      VALUES (@kind, @entity, @attribute, @value, @firstSeen, @lastSeen, @count)
      ON CONFLICT (entity_kind, entity, attribute, value) DO UPDATE SET
        first_seen = MIN(baselines.first_seen, excluded.first_seen),
        last_seen = MAX(baselines.last_seen, excluded.last_seen),
        count = baselines.count + excluded.count`);
    this.db.transaction(() => {
      for (const sighting of sightings.values()) upsert.run(sighting);
    })();
  }

  alertCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS count FROM alerts').get() as { count: number })
      .count;
  }

  listAlerts(): Alert[] {
    return (
      this.db.prepare('SELECT alert_json FROM alerts ORDER BY first_time, id').all() as {
        alert_json: string;
      }[]
    ).map((row) => JSON.parse(row.alert_json) as Alert);
  }

  /**
   * Closes the database. A writable file leaves write-ahead log mode first, so that it is
   * one self-contained file at rest, which SQLite can read from a read-only folder. When another
   * process still has it open, the mode stays, and the file is still whole for that process.
   */
  close(): void {
    if (!this.readOnly && this.db.open && this.db.name !== ':memory:') {
      try {
        this.db.pragma('journal_mode = DELETE');
      } catch (error) {
        if (!isStoreFileFailure(error)) throw error;
      }
    }
    this.db.close();
  }
}

/**
 * Tells whether the database file and its folder can be written. A database in write-ahead log
 * mode needs the folder too, for its `-wal` and `-shm` files. `access` also reports a
 * read-only mount, even to root.
 */
function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
