import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

const CASE_LOG = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml');

function detection(id: string, level: string): string {
  return [
    `title: Logon with level ${level}`,
    `id: ${id}`,
    'logsource: {product: windows, service: security}',
    'detection:',
    '  selection: {EventID: 4624}',
    '  condition: selection',
    `level: ${level}`,
    '',
  ].join('\n');
}

const CORRELATION = [
  'title: Many logons',
  'id: 3d1f9e0a-6b2c-4f7e-8a1d-5c9b0e2f4a13',
  'correlation:',
  '  type: event_count',
  '  rules: [1f0c3e5a-0000-4000-8000-000000000001]',
  '  group-by: [TargetUserName]',
  '  timespan: 1h',
  '  condition: {gte: 2}',
  'level: severe',
  '',
].join('\n');

/** Writes rule files whose levels are valid, invalid and of another type. */
function ruleFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-level-'));
  writeFileSync(join(dir, 'valid.yml'), detection('1f0c3e5a-0000-4000-8000-000000000001', 'High'));
  writeFileSync(join(dir, 'typo.yml'), detection('1f0c3e5a-0000-4000-8000-000000000002', 'hihg'));
  writeFileSync(join(dir, 'number.yml'), detection('1f0c3e5a-0000-4000-8000-000000000003', '3'));
  writeFileSync(join(dir, 'correlation.yml'), CORRELATION);
  return dir;
}

describe('rule level', () => {
  it('is a rule problem with file and value', () => {
    const dir = ruleFolder();
    const result = runCli(['rules', 'check', '--no-default-rules', dir]);
    assert.equal(result.status, 2, result.stdout);
    const levels = 'informational, low, medium, high, critical';
    assert.ok(
      result.stdout.includes(
        `${join(dir, 'typo.yml')}:7:8: error rule.invalid_level: level "hihg" is not one of ${levels}\n    level: hihg\n`,
      ),
      result.stdout,
    );
    assert.ok(
      result.stdout.includes(
        `${join(dir, 'number.yml')}:7:8: error rule.invalid_level: level 3 is not one of ${levels}`,
      ),
      result.stdout,
    );
    assert.ok(
      result.stdout.includes(
        `${join(dir, 'correlation.yml')}:9:8: error rule.invalid_level: level "severe" is not one of ${levels}`,
      ),
      result.stdout,
    );
    assert.match(result.stdout, /Loaded 1 of 4 rule documents/);
    assert.match(result.stdout, /^ {2}rule\.invalid_level: 3$/m);
  });

  it('leaves the rule out of a scan', () => {
    const dir = ruleFolder();
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      dir,
      '--output',
      'ndjson',
      '--db',
      ':memory:',
      CASE_LOG,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /typo\.yml:7:8: error rule\.invalid_level: level "hihg"/);
    assert.match(result.stderr, /3 rule problems: those rules are not loaded/);
    assert.match(result.stderr, /Scanned 1 inputs with 1 rules/);

    const strict = runCli([
      'scan',
      '--strict-rules',
      '--no-default-rules',
      '--rules',
      dir,
      '--db',
      ':memory:',
      CASE_LOG,
    ]);
    assert.equal(strict.status, 2);
  });
});
