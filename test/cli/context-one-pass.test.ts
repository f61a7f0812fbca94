import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseHours } from '../../src/context/hours.js';
import { runCli } from '../helpers/cli.js';

const CASE_LOG = 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml';

function writeContext(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-one-pass-'));
  const file = join(dir, 'trustwatch.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Returns the problem lines of a failed run: `file:line:col: error code: message`. */
function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => / error [a-z_.]+: /.test(line));
}

describe('parseHours', () => {
  it('reports every bad part', () => {
    assert.deepEqual(parseHours('Mon-Fry,Sunday,Xyz 08:00-25:00 Europe/Berln'), [
      'unknown day "fry" (use Mon, Tue, … Sun)',
      'unknown day "xyz" (use Mon, Tue, … Sun)',
      'invalid time of day "25:00" (use 00:00 to 24:00)',
      'unknown time zone "Europe/Berln"',
    ]);
    assert.deepEqual(parseHours('Mon 07:61-18:00'), [
      'invalid time of day "07:61" (use 00:00 to 24:00)',
    ]);
    assert.deepEqual(parseHours('whenever'), [
      'expected hours such as "Mon-Fri 08:00-18:00 Europe/Berlin", not "whenever"',
    ]);
  });

  it('parses a valid range', () => {
    const range = parseHours('Fri-Mon 22:00-06:00 UTC');
    assert.ok(!Array.isArray(range));
    assert.deepEqual([...range.days].sort(), [0, 1, 5, 6]);
    assert.equal(range.startMinute, 22 * 60);
    assert.equal(range.endMinute, 6 * 60);
  });
});

describe('context problems in one pass', () => {
  it('reports schema, hours, geo and chains together', () => {
    const context = writeContext([
      'parties:',
      '  - name: Acme',
      '    kind: mspp',
      '    accounts: ["CONTOSO\\\\acme-*"]',
      '    expected:',
      '      hours: "Mon-Fry 08:00-25:00 Europe/Berln"',
      'settings:',
      '  chains:',
      '    AN9999: {foo: 10m}',
      '    AN1344: {elevation: 20 minutes, nosuchstep: 5m}',
      '  geo:',
      '    country_database: missing-country.mmdb',
    ]);
    const result = runCli(['scan', '--context', context, '--db', ':memory:', CASE_LOG]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^trustwatch: invalid context file \(8 problems\)\n/);
    const lines = problemLines(result.stderr);
    const dir = context.slice(0, -'trustwatch.yaml'.length);
    assert.deepEqual(lines, [
      `${context}:3:11: error config.invalid_value: parties.0.kind: Invalid option: expected one of "msp"|"mssp"|"contractor"|"vendor"|"partner"|"reseller"|"cloud-provider"|"saas-app"`,
      `${context}:6:14: error config.custom: parties.0.expected.hours: unknown day "fry" (use Mon, Tue, … Sun)`,
      `${context}:6:14: error config.custom: parties.0.expected.hours: invalid time of day "25:00" (use 00:00 to 24:00)`,
      `${context}:6:14: error config.custom: parties.0.expected.hours: unknown time zone "Europe/Berln"`,
      `${context}:9:5: error config.unknown_chain: settings.chains.AN9999: no loaded or shipped chain rule has the analytic id or name "AN9999" (the chains are AN1344, AN1345, AN1346, AN1347, AN1348, AN1349, AN1350, an1344_chain, an1345_chain, an1346_chain, an1346_mdm_chain, an1347_chain, an1348_chain, an1349_chain, an1350_chain)`,
      `${context}:10:25: error config.invalid_format: settings.chains.AN1344.elevation: expected a duration such as 30s, 15m, 2h or 1d`,
      `${context}:10:37: error config.unknown_chain_step: settings.chains.AN1344.nosuchstep: chain AN1344 has no step "nosuchstep" (its steps are logon, elevation, lateral)`,
      `${context}:12:23: error config.geo_database: settings.geo.country_database: database not found: ${dir}missing-country.mmdb (from "missing-country.mmdb", read from the context file's folder)`,
    ]);
  });

  it('adds chain problems to compile problems', () => {
    const context = writeContext([
      'parties:',
      '  - name: Acme',
      '    kind: msp',
      '    networks: ["198.51.100.0/33"]',
      'settings:',
      '  chains:',
      '    AN1344: {nosuchstep: 5m}',
    ]);
    const result = runCli(['rules', 'check', '--context', context]);
    assert.equal(result.status, 2);
    const lines = problemLines(result.stderr);
    assert.equal(lines.length, 2, result.stderr);
    assert.match(
      lines[0] ?? '',
      /:4:16: error config\.custom: parties\.0\.networks\.0: invalid network/,
    );
    assert.match(lines[1] ?? '', /:7:14: error config\.unknown_chain_step: /);
  });
});
