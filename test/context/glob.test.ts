import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileGlob } from '../../src/context/glob.js';
import { parseAlerts, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

const SCENARIO_LOG = join(
  REPO_ROOT,
  'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml',
);

/** [glob, value, expected match] */
const CASES: [string, string, boolean][] = [
  ['acme-*', 'acme-admin', true],
  ['acme-*', 'ACME-Admin', true],
  ['acme-*', 'acme-', true],
  ['acme-*', 'xacme-admin', false],
  ['*@acme.example', 'ops@ACME.example', true],
  ['*@acme.example', 'ops@acme.example.org', false],
  ['*@acme.example', 'ops@acmexexample', false],
  ['CONTOSO\\acme-*', 'contoso\\acme-svc', true],
  ['CONTOSO\\acme-*', 'contosoXacme-svc', false],
  ['CONTOSO\\acme-*', 'CONTOSO\\\\acme-svc', false],
  ['APP0?', 'app01', true],
  ['APP0?', 'app0', false],
  ['APP0?', 'app012', false],
  ['a?c', 'a😀c', true],
  ['*', '', true],
  ['*', 'anything at all', true],
  ['', '', true],
  ['', 'x', false],
  ['a**b', 'ab', true],
  ['a*b*c', 'abbbbc', true],
  ['a*b*c', 'acb', false],
  ['*a*b', 'xxaxxbxxb', true],
  ['*a*b', 'xxaxxbxxc', false],
  ['?*?', 'a', false],
  ['?*?', 'ab', true],
  ['(acme)+[x]{2}$^|.', '(ACME)+[X]{2}$^|.', true],
  ['a.c', 'abc', false],
  ['straße', 'STRAßE', true],
  ['ΟΔΥΣΣΕΥΣ', 'οδυσσευς', true],
  ['k', '\u212a', true],
];

describe('compileGlob', () => {
  it('matches the documented glob forms', () => {
    for (const [pattern, value, expected] of CASES) {
      assert.equal(compileGlob(pattern).test(value), expected, `${pattern} against ${value}`);
    }
  });

  it('keeps the pattern as written', () => {
    assert.equal(compileGlob('CONTOSO\\acme-*').pattern, 'CONTOSO\\acme-*');
  });

  it('matches adversarial values of many stars', () => {
    const dashes = '-'.repeat(2000);
    const glob = compileGlob('*-*-*-*@acme.example');
    assert.equal(glob.test(dashes), false);
    assert.equal(glob.test(`${dashes}@acme.example`), true);
    assert.equal(glob.test(`${dashes}@acme.exampl`), false);

    const many = compileGlob(`${'*a'.repeat(30)}*b`);
    assert.equal(many.test('a'.repeat(5000)), false);
    assert.equal(many.test(`${'a'.repeat(5000)}b`), true);
    assert.equal(many.test(`${'a'.repeat(29)}b`), false);

    const questions = compileGlob(`*${'?'.repeat(100)}x`);
    assert.equal(questions.test('y'.repeat(100_000)), false);
    assert.equal(questions.test(`${'y'.repeat(100_000)}x`), true);
  });
});

describe('context globs in a scan', () => {
  it('tags an account of adversarial length', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-glob-'));
    const context = join(dir, 'trustwatch.yaml');
    const stars = `${'*a'.repeat(20)}*b`;
    writeFileSync(
      context,
      [
        'parties:',
        '  - name: Acme',
        '    kind: msp',
        `    accounts: ["${stars}", "*-*-*-*@acme.example"]`,
        '    networks: ["198.51.100.0/26"]',
        `    expected: { hosts: ["${stars}"] }`,
        '',
      ].join('\n'),
    );
    const account = `${'-'.repeat(2000)}@acme.example`;
    const log = join(dir, 'app01-security.xml');
    writeFileSync(log, readFileSync(SCENARIO_LOG, 'utf8').replaceAll('acme-jlee', account));

    const result = runCli([
      'scan',
      '--context',
      context,
      '--db',
      ':memory:',
      '--output',
      'ndjson',
      log,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const alerts = parseAlerts(result.stdout);
    assert.equal(alerts.length, 4, result.stderr);
    for (const alert of alerts) {
      assert.equal(alert.party, 'Acme');
      assert.match(String(alert.actor), /-{2000}@acme\.example$/);
    }
  });
});
