import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { countStatements, loadStatement } from '../bench/sigma-sql/query.js';
import { type Translation, translateRules } from '../bench/sigma-sql/translate.js';
import { loadRuleTexts } from '../src/rules/load.js';
import { buildMappingTable } from '../src/rules/logsources/registry.js';
import type { Placeholders } from '../src/rules/placeholders.js';

const placeholders: Placeholders = { values: () => undefined, unresolved: 'reject' };

function translate(...texts: string[]): Translation {
  const set = loadRuleTexts(
    texts.map((text, index) => ({ file: `rule-${index}.yml`, text })),
    { placeholders },
  );
  assert.deepEqual(set.rejected, []);
  return translateRules(set.rules, buildMappingTable(), placeholders);
}

function rule(detection: string, logsource = '{product: windows, service: security}'): string {
  return `title: Test rule\nlogsource: ${logsource}\ndetection:\n${detection}\n`;
}

const SECURITY = `"Channel#lower" = 'security'`;

describe('sigma-sql translateRules', () => {
  it('translates equality lists case-insensitively', () => {
    const { translated } = translate(
      rule('  sel:\n    EventID: [4624, 4625]\n    LogonType: 10\n  condition: sel'),
    );
    assert.equal(
      translated[0]?.sql,
      `(${SECURITY} AND ("EventID#lower" IN ('4624', '4625') AND "LogonType#lower" = '10'))`,
    );
  });

  it('escapes LIKE wildcards and quotes', () => {
    const { translated } = translate(
      rule(
        `  sel:\n    CommandLine|contains: "50%_o'k"\n    Image: 'C:\\a*b?.exe'\n  condition: sel`,
      ),
    );
    assert.equal(
      translated[0]?.sql,
      `(${SECURITY} AND (contains("CommandLine#lower", '50%_o''k') AND ` +
        `"Image#lower" LIKE 'c:\\\\a%b_.exe' ESCAPE '\\'))`,
    );
  });

  it('keeps |cased and |all and applies |re flags', () => {
    const { translated } = translate(
      rule(
        '  sel:\n    Image|cased|endswith: \\X.exe\n    CommandLine|contains|all: [a, b]\n' +
          '    User|re|i: ^adm\n  condition: sel',
      ),
    );
    assert.equal(
      translated[0]?.sql,
      `(${SECURITY} AND (ends_with("Image", '\\X.exe') AND ` +
        `(contains("CommandLine#lower", 'a') AND contains("CommandLine#lower", 'b')) AND ` +
        `regexp_matches("User", '(?i)^adm')))`,
    );
  });

  it('translates conditions with not and patterns', () => {
    const { translated } = translate(
      rule(
        '  sel_a: {EventID: 1}\n  sel_b: {EventID: 2}\n  filter: {User: null}\n' +
          '  condition: 1 of sel_* and not filter',
      ),
    );
    assert.equal(
      translated[0]?.sql,
      `(${SECURITY} AND (("EventID#lower" = '1' OR "EventID#lower" = '2') AND ` +
        `NOT coalesce("User" IS NULL, FALSE)))`,
    );
  });

  it('translates an IPv4 network as a number range', () => {
    const { translated } = translate(
      rule('  sel:\n    IpAddress|cidr: 10.1.0.0/16\n  condition: sel'),
    );
    assert.equal(
      translated[0]?.sql,
      `(${SECURITY} AND "IpAddress#ipv4" BETWEEN 167837696 AND 167903231)`,
    );
  });

  it('uses every mapping of a category with its field names', () => {
    const { translated } = translate(
      rule(
        '  sel:\n    Image|endswith: \\cmd.exe\n  condition: sel',
        '{product: windows, category: process_creation}',
      ),
    );
    assert.equal(
      translated[0]?.sql,
      `(("Channel#lower" = 'microsoft-windows-sysmon/operational' AND "EventID#lower" = '1' AND ` +
        `ends_with("Image#lower", '\\cmd.exe')) OR ("Channel#lower" = 'security' AND ` +
        `"EventID#lower" = '4688' AND ends_with("NewProcessName#lower", '\\cmd.exe')))`,
    );
  });

  it('skips what SQL cannot express, with the reason', () => {
    const { translated, skipped } = translate(
      rule('  keywords: [mimikatz]\n  condition: keywords'),
      rule('  sel:\n    IpAddress|cidr: fe80::/10\n  condition: sel'),
      rule('  sel:\n    trust.party|exists: true\n  condition: sel'),
    );
    assert.equal(translated.length, 0);
    assert.deepEqual(
      skipped.map((entry) => entry.reason),
      [
        'keyword search (a list of values without a field)',
        'an IPv6 network in |cidr',
        'reads trust.party, which enrichment adds and the logs lack',
      ],
    );
  });
});

describe('sigma-sql statements', () => {
  const folder = mkdtempSync(join(tmpdir(), 'trustwatch-sigma-sql-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('counts matches over NDJSON in DuckDB', async () => {
    const file = join(folder, 'events.json');
    const records = [
      { EventID: 4624, Channel: 'Security', LogonType: '10', Hostname: 'WS1' },
      { EventID: '4624', Channel: 'security', LogonType: '3', Hostname: 'ws2' },
      { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\x\\CMD.EXE' },
      { EventID: 4688, Channel: 'Security', NewProcessName: 'C:\\Windows\\cmd.exe' },
      { Channel: 'Security', note: 'no EventID: not an event' },
    ];
    writeFileSync(file, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
    const { translated } = translate(
      rule('  sel:\n    EventID: 4624\n    LogonType: 10\n  condition: sel'),
      rule('  sel:\n    Computer|startswith: ws\n  condition: sel'),
      rule(
        '  sel:\n    Image|endswith: \\cmd.exe\n  condition: sel',
        '{product: windows, category: process_creation}',
      ),
    );

    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const counts: Record<string, number> = {};
    for (const statement of [loadStatement(translated, [file]), ...countStatements(translated)]) {
      const reader = await connection.runAndReadAll(statement);
      if (!statement.startsWith('SELECT')) continue;
      for (const [key, value] of Object.entries(reader.getRowObjectsJS()[0] ?? {})) {
        counts[key] = Number(value);
      }
    }
    connection.closeSync();
    instance.closeSync();
    assert.deepEqual(counts, { events: 4, r0: 1, r1: 2, r2: 2 });
  });
});
