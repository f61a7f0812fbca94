import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SightingSet } from '../../src/enrich/baseline.js';
import { systemClock } from '../../src/model/logger.js';
import { SqliteStore } from '../../src/sinks/sqlite-store.js';
import { parseAlerts, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * One account in the spellings Windows writes (`THESHIRE\pgustavo`, `THESHIRE.LOCAL\pgustavo`,
 * `pgustavo@THESHIRE.LOCAL`), through the built command line, on real OTRF records.
 */

const FIXTURES = join(REPO_ROOT, 'test/fixtures/windows');
const COVENANT = join(FIXTURES, 'otrf-covenant-copy-smb.pgustavo.ndjson');
const RDP = join(FIXTURES, 'otrf-rdp-lsass-dump.pgustavo.ndjson');
const GOLDENSAML = join(FIXTURES, 'otrf-goldensaml.pgustavo.ndjson');
const OUT_OF_SCOPE = 'Trusted party logon outside its expected scope on Windows';

function writeContext(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-accounts-'));
  const file = join(dir, 'trustwatch.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function partyContext(accounts: string[], extra: string[] = []): string {
  return writeContext([
    'parties:',
    '  - name: Northwind Managed IT',
    '    kind: msp',
    `    accounts: ${JSON.stringify(accounts)}`,
    '    expected:',
    '      hosts: ["WORKSTATION5*"]',
    ...extra,
  ]);
}

function scanAlerts(context: string, paths: string[]) {
  const result = runCli(['scan', '--context', context, '--db', ':memory:', '--no-geo', ...paths]);
  assert.equal(result.status, 0, result.stderr);
  return parseAlerts(result.stdout);
}

/** Returns `host actor` of each alert of the out-of-scope logon rule. */
function outOfScopeLogons(alerts: Record<string, unknown>[]): string[] {
  return alerts
    .filter((alert) => (alert.rule as { title: string }).title === OUT_OF_SCOPE)
    .map((alert) => `${alert.host} ${alert.actor}`)
    .sort();
}

describe('account spellings in scans', () => {
  it('tags DNS-domain logons for a NetBIOS pattern', () => {
    const context = partyContext(['THESHIRE\\pgustavo']);
    const alerts = scanAlerts(context, [COVENANT, RDP]);
    assert.deepEqual(outOfScopeLogons(alerts), [
      'MORDORDC.theshire.local THESHIRE.LOCAL\\pgustavo',
      'WORKSTATION6.theshire.local THESHIRE.LOCAL\\pgustavo',
    ]);
    for (const alert of alerts) assert.equal(alert.party, 'Northwind Managed IT');
  });

  it('tags the NetBIOS spelling for a UPN pattern', () => {
    const context = partyContext(['pgustavo@theshire.local']);
    const alerts = scanAlerts(context, [COVENANT, RDP]);
    assert.equal(outOfScopeLogons(alerts).length, 2);
  });

  it('leaves another domain of the same user untagged', () => {
    const context = partyContext(['THESHIRE\\pgustavo', 'pgustavo@theshire.local']);
    assert.deepEqual(scanAlerts(context, [GOLDENSAML]), []);
  });

  it('tags the other domain when it is listed', () => {
    const context = partyContext(['SIMULANDLABS\\pgustavo']);
    assert.deepEqual(outOfScopeLogons(scanAlerts(context, [GOLDENSAML])), [
      'DC01.simulandlabs.com SIMULANDLABS\\pgustavo',
      'DC01.simulandlabs.com SIMULANDLABS\\pgustavo',
    ]);
  });

  it('follows a declared domain over the first label', () => {
    const context = partyContext(
      ['THESHIRE\\pgustavo'],
      ['domains:', '  - netbios: THESHIRE', '    dns: [theshire.example.org]'],
    );
    assert.deepEqual(scanAlerts(context, [COVENANT, RDP]), []);
  });

  it('suppresses every spelling with an allow actor', () => {
    const context = partyContext(
      ['THESHIRE\\pgustavo'],
      ['allow:', '  - reason: maintenance window', '    actor: pgustavo@theshire.local'],
    );
    const alerts = scanAlerts(context, [COVENANT, RDP]);
    assert.equal(alerts.length, 2);
    for (const alert of alerts) assert.equal(alert.suppressed, true, String(alert.actor));
  });
});

describe('domains in the context file', () => {
  it('reports every invalid entry with its line and value', () => {
    const context = writeContext([
      'parties:',
      '  - name: Northwind Managed IT',
      '    kind: msp',
      '    accounts: ["THESHIRE\\\\pgustavo"]',
      'domains:',
      '  - netbios: THE.SHIRE',
      '    dns: [theshire]',
      '  - netbios: NWIT',
      '    dns: []',
      '  - netbios: nwit',
      '    dns: [northwind-it.com, "*.northwind-it.com", theshire.local.]',
      '  - netbios: OTHER',
      '    dns: [Northwind-IT.com]',
      '    dns_names: [other.example]',
    ]);
    const result = runCli(['scan', '--context', context, '--db', ':memory:', RDP]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    const lines = result.stderr.split('\n').filter((line) => / error [a-z_.]+: /.test(line));
    const expected = [
      /trustwatch\.yaml:6:14: error config\.custom: domains\.0\.netbios: invalid NetBIOS domain name "THE\.SHIRE" /,
      /trustwatch\.yaml:7:11: error config\.custom: domains\.0\.dns\.0: invalid DNS domain name "theshire" /,
      /trustwatch\.yaml:9:10: error config\.too_small: domains\.1\.dns: list at least one DNS name$/,
      /trustwatch\.yaml:10:14: error config\.duplicate_domain: domains\.2\.netbios: NetBIOS name "nwit" is declared twice, first in domains\.1$/,
      /trustwatch\.yaml:11:29: error config\.custom: domains\.2\.dns\.1: invalid DNS domain name "\*\.northwind-it\.com" /,
      /trustwatch\.yaml:11:51: error config\.custom: domains\.2\.dns\.2: invalid DNS domain name "theshire\.local\." /,
      /trustwatch\.yaml:13:11: error config\.duplicate_dns_name: domains\.3\.dns\.0: DNS name "Northwind-IT\.com" is listed twice, first as domains\.2\.dns\.0$/,
      /trustwatch\.yaml:14:5: error config\.unrecognized_keys: domains\.3: unknown key "dns_names"$/,
    ];
    assert.equal(lines.length, expected.length, result.stderr);
    for (const [index, pattern] of expected.entries()) assert.match(lines[index] ?? '', pattern);
  });
});

describe('account spellings in baselines', () => {
  /** Learns from the THESHIRE records into a new database; returns its path. */
  function buildBaseline(context: string): string {
    const db = join(mkdtempSync(join(tmpdir(), 'trustwatch-accounts-db-')), 'baseline.db');
    const result = runCli([
      'baseline',
      'build',
      '--context',
      context,
      '--db',
      db,
      '--no-geo',
      FIXTURES,
    ]);
    assert.equal(result.status, 0, result.stderr);
    return db;
  }

  function show(db: string, ...filter: string[]) {
    return runCli(['baseline', 'show', '--db', db, ...filter]);
  }

  function entities(stdout: string, kind: string): string[] {
    const names = stdout
      .split('\n')
      .filter((line) => line.startsWith(`${kind}\t`))
      .map((line) => line.split('\t')[1] as string);
    return [...new Set(names)].sort();
  }

  it('keeps the spellings of one account as one actor', () => {
    const db = buildBaseline(partyContext(['THESHIRE\\pgustavo', 'pgustavo']));
    const result = show(db);
    assert.equal(result.status, 0, result.stderr);
    // The bare name of the 4776 record names no domain, so it stays its own actor.
    assert.deepEqual(entities(result.stdout, 'actor'), ['pgustavo', 'theshire\\pgustavo']);
    assert.match(
      result.stdout,
      /^actor\ttheshire\\pgustavo\thost\tworkstation6\.theshire\.local\t7\t/m,
    );
    assert.match(
      result.stdout,
      /^actor\ttheshire\\pgustavo\thost\tmordordc\.theshire\.local\t5\t/m,
    );
  });

  it('filters actors in any spelling and case', () => {
    const db = buildBaseline(partyContext(['THESHIRE\\pgustavo', 'pgustavo']));
    const expected = show(db, '--actor', 'theshire\\pgustavo').stdout;
    assert.equal(entities(expected, 'actor').join(), 'theshire\\pgustavo');
    assert.equal(expected.split('\n').length - 1, 15);
    for (const spelling of [
      'THESHIRE\\pgustavo',
      'THESHIRE.LOCAL\\PGUSTAVO',
      'pgustavo@theshire.local',
    ]) {
      const result = show(db, '--actor', spelling);
      assert.equal(result.status, 0);
      assert.equal(result.stdout, expected, spelling);
      assert.equal(result.stderr, '');
    }
  });

  it('filters a party by name in any case', () => {
    const db = buildBaseline(partyContext(['THESHIRE\\pgustavo', 'pgustavo']));
    const result = show(db, '--party', 'northwind managed it');
    assert.equal(result.status, 0);
    assert.deepEqual(entities(result.stdout, 'party'), ['Northwind Managed IT']);
    assert.deepEqual(entities(result.stdout, 'actor'), []);
  });

  it('says so when no actor matches', () => {
    const db = buildBaseline(partyContext(['THESHIRE\\pgustavo']));
    const result = show(db, '--actor', 'SIMULANDLABS\\pgustavo');
    assert.equal(result.status, 0);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^trustwatch: no baselines of actor "SIMULANDLABS\\pgustavo" among the \d+ sightings in /,
    );
  });

  it('rejects --party with --actor', () => {
    const db = buildBaseline(partyContext(['THESHIRE\\pgustavo']));
    const result = show(db, '--party', 'Northwind Managed IT', '--actor', 'THESHIRE\\pgustavo');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /takes --party or --actor, not both/);
  });

  it('documents the matching in --help', () => {
    const help = runCli(['baseline', 'show', '--help']).stdout;
    assert.match(
      help,
      /--actor <pattern>\s+only actors that this account glob matches, in any case and\s+any spelling/,
    );
    assert.match(help, /--party <name>\s+only this party, by name in any case/);
  });

  it('merges the spellings an older database kept apart', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'trustwatch-accounts-db-')), 'old.db');
    const store = new SqliteStore(db, systemClock);
    const stored = new SightingSet();
    const sightings: [string, number, number, number][] = [
      [
        'theshire\\pgustavo',
        Date.parse('2020-09-20T16:16:58Z'),
        Date.parse('2020-09-20T16:17:52Z'),
        3,
      ],
      [
        'theshire.local\\pgustavo',
        Date.parse('2020-09-22T08:38:05Z'),
        Date.parse('2020-09-22T08:38:16Z'),
        4,
      ],
      [
        'pgustavo@theshire.local',
        Date.parse('2020-08-06T15:56:22Z'),
        Date.parse('2020-08-06T15:56:34Z'),
        2,
      ],
      ['pgustavo', Date.parse('2020-09-22T08:38:03Z'), Date.parse('2020-09-22T08:38:03Z'), 1],
    ];
    for (const [entity, firstSeen, lastSeen, count] of sightings) {
      stored.add({
        kind: 'actor',
        entity,
        attribute: 'host',
        value: 'mordordc.theshire.local',
        firstSeen,
        lastSeen,
        count,
      });
    }
    store.saveBaseline(stored);
    store.close();

    const result = show(db, '--actor', 'THESHIRE\\pgustavo');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stdout,
      'actor\ttheshire\\pgustavo\thost\tmordordc.theshire.local\t9\t2020-08-06T15:56:22.000Z\t2020-09-22T08:38:16.000Z\n',
    );
  });
});
