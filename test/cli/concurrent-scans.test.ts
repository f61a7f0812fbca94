import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCliAsync } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

const CASE_LOG = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml');
const CASE_EVENTS = 165;
/** Copies of the case log; each copy is another input, so its alerts have other ids. */
const COPIES = 20;
const SCANS = 3;

const ALL_SECURITY_RULE = `title: every Security event
id: 5b1f0c3e-9a51-4d0e-8a0f-2f7f3c1d0a02
logsource: {product: windows, service: security}
detection:
  selection: {EventID|exists: true}
  condition: selection
level: low
`;

describe('concurrent scans into one database', () => {
  it('count each new alert once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-concurrent-'));
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    for (let copy = 0; copy < COPIES; copy++) copyFileSync(CASE_LOG, join(logs, `${copy}.xml`));
    const rule = join(dir, 'all.yml');
    writeFileSync(rule, ALL_SECURITY_RULE);
    const raised = COPIES * CASE_EVENTS;

    // Fresh databases, so that the scans also race to create the schema.
    for (const round of [1, 2]) {
      const db = join(dir, `alerts-${round}.db`);
      const args = [
        'scan',
        '--no-default-rules',
        '--rules',
        rule,
        '--db',
        db,
        '--output',
        'ndjson',
      ];
      const results = await Promise.all(
        Array.from({ length: SCANS }, () => runCliAsync([...args, logs])),
      );

      let reportedNew = 0;
      for (const result of results) {
        assert.equal(result.status, 0, result.stderr);
        const match = /Alerts: (\d+) \((\d+) new in /.exec(result.stderr);
        assert.ok(match, result.stderr);
        assert.equal(Number(match[1]), raised);
        reportedNew += Number(match[2]);
      }
      assert.equal(reportedNew, raised, `round ${round}: the scans counted ${reportedNew} new`);

      const database = new Database(db, { readonly: true });
      const rows = database.prepare('SELECT COUNT(*) AS count FROM alerts').get() as {
        count: number;
      };
      const stored = database.prepare('SELECT SUM(alerts_new) AS total FROM scans').get() as {
        total: number;
      };
      const migrations = database.prepare('SELECT version FROM schema_migrations').all();
      database.close();
      assert.equal(rows.count, raised);
      assert.equal(stored.total, raised);
      assert.equal(new Set(migrations.map((row) => JSON.stringify(row))).size, migrations.length);
    }
  });
});
