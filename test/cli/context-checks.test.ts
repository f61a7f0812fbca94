import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

const CASE = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain');
const CASE_LOG = join(CASE, 'logs/app01-security.xml');
/** A rule file of three detections and one chain, tagged det0488.an9999 and without a name. */
const OWN_CHAIN = join(REPO_ROOT, 'test/golden/correlation-chain/rules.yml');

const PARTY = ['parties:', '  - name: Acme', '    kind: msp', '    accounts: ["acme-*"]'];

function writeContext(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-checks-'));
  const file = join(dir, 'trustwatch.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function scan(context: string, extra: string[] = []) {
  return runCli(['scan', '--context', context, '--db', ':memory:', ...extra, CASE_LOG]);
}

/** Returns the problem lines of a failed run: `file:line:col: error code: message`. */
function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => / error [a-z_.]+: /.test(line));
}

describe('context entry checks', () => {
  it('reports every problem at once', () => {
    const context = writeContext([
      'parties:',
      '  - name: Acme',
      '    kind: msp',
      '    accounts: ["acme-*"]',
      '  - name: ACME',
      '    kind: vendor',
      '    apps: [app-1]',
      '  - name: Ghost',
      '    kind: contractor',
      '    expected: {hosts: ["APP*"]}',
      '  - name: Broken',
      '    kind: plumber',
      '    networks: [198.51.100.0/24]',
      'allow:',
      '  - reason: known maintenance',
      '    party: Acne',
      '  - reason: any case matches',
      '    party: acme',
    ]);
    const result = scan(context);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /invalid context file \(4 problems\)/);
    const lines = problemLines(result.stderr);
    assert.equal(lines.length, 4, result.stderr);
    assert.match(
      lines[0] ?? '',
      /trustwatch\.yaml:5:11: error config\.duplicate_party: parties\.1\.name: party "ACME" is listed twice, first as parties\.0$/,
    );
    assert.match(
      lines[1] ?? '',
      /trustwatch\.yaml:8:5: error config\.party_without_matchers: parties\.2: party "Ghost" lists none of accounts, networks, tenants, cloud_accounts, apps/,
    );
    assert.match(lines[2] ?? '', /trustwatch\.yaml:12:11: error config\.invalid_value: /);
    assert.match(
      lines[3] ?? '',
      /trustwatch\.yaml:16:12: error config\.unknown_party: allow\.0\.party: "Acne" is not a party of this file \(its parties are Acme, ACME, Ghost, Broken\)$/,
    );
  });

  it('accepts parties that each have a matcher', () => {
    const context = writeContext([
      ...PARTY,
      '  - name: Cloud vendor',
      '    kind: cloud-provider',
      '    cloud_accounts: ["111122223333"]',
      'allow:',
      '  - reason: patch window',
      '    party: ACME',
    ]);
    const result = scan(context);
    assert.equal(result.status, 0, result.stderr);
  });
});

describe('settings.chains checks', () => {
  it('rejects unknown chains and steps with their lines', () => {
    const context = writeContext([
      ...PARTY,
      'settings:',
      '  chains:',
      '    AN1344: {elevaton: 20m, logon: 5m}',
      '    an1345: {escalation: 10m}',
      '    AN1999: {lateral: 1h}',
    ]);
    const result = scan(context);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    const lines = problemLines(result.stderr);
    assert.equal(lines.length, 3, result.stderr);
    assert.match(
      lines[0] ?? '',
      /trustwatch\.yaml:7:14: error config\.unknown_chain_step: settings\.chains\.AN1344\.elevaton: chain AN1344 has no step "elevaton" \(its steps are logon, elevation, lateral\)$/,
    );
    assert.match(
      lines[1] ?? '',
      /trustwatch\.yaml:8:5: error config\.unknown_chain: settings\.chains\.an1345: .*did you mean "AN1345"\?/,
    );
    assert.match(
      lines[2] ?? '',
      /trustwatch\.yaml:9:5: error config\.unknown_chain: settings\.chains\.AN1999: no loaded or shipped chain rule has the analytic id or name "AN1999" \(the chains are AN1344, .*an1344_chain/,
    );
  });

  it('accepts shipped chains left out of the run', () => {
    const context = writeContext([
      ...PARTY,
      'settings:',
      '  chains:',
      '    AN1348: {exposure: {within: 45m, count: 50, window: 10m}}',
      '    an1344_chain: {elevation: 20m}',
      '    AN9999: {elevation: 10m}',
    ]);
    const result = scan(context, ['--no-default-rules', '--rules', OWN_CHAIN]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /Scanned 1 inputs with 4 rules/);
  });

  it('checks steps of a shipped chain left out', () => {
    const context = writeContext([
      ...PARTY,
      'settings:',
      '  chains:',
      '    AN1348: {exposur: 45m}',
    ]);
    const result = scan(context, ['--no-default-rules', '--rules', OWN_CHAIN]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /settings\.chains\.AN1348\.exposur: chain AN1348 has no step/);
  });

  it('rejects a chain of neither the run nor the pack', () => {
    const context = writeContext([...PARTY, 'settings:', '  chains:', '    AN9998: {logon: 1m}']);
    const result = scan(context, ['--no-default-rules', '--rules', OWN_CHAIN]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /trustwatch\.yaml:7:5: error config\.unknown_chain: /);
    assert.match(result.stderr, /the chains are AN1344, .*AN9999/);
  });

  it('fails rules check with the same problems', () => {
    const context = writeContext([...PARTY, 'settings:', '  chains:', '    AN1999: {logon: 1m}']);
    const result = runCli(['rules', 'check', '--context', context]);
    assert.equal(result.status, 2);
    assert.match(result.stdout, /trustwatch\.yaml:7:5: error config\.unknown_chain: /);
    assert.match(result.stdout, /Loaded 71 of 71 rule documents/);
  });

  it('fails an eval case with an unknown chain', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-checks-'));
    const copy = join(dir, 'an1344-case');
    cpSync(CASE, copy, { recursive: true });
    writeFileSync(
      join(copy, 'trustwatch.yaml'),
      `${[...PARTY, 'settings:', '  chains:', '    AN1999: {logon: 1m}'].join('\n')}\n`,
    );
    const result = runCli(['eval', copy]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /FAIL an1344-case/);
    assert.match(result.stdout, /settings\.chains\.AN1999: no loaded or shipped chain rule/);
  });
});
