import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';

const CASE_LOG = 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml';

function correlation(name: string, index: number, rules: string[], type = 'event_count'): string {
  return [
    `title: ${name} title`,
    `name: ${name}`,
    `id: 6a0c0c0c-0000-4000-8000-00000000000${index}`,
    'correlation:',
    `  type: ${type}`,
    `  rules: [${rules.join(', ')}]`,
    '  group-by: [TargetUserName]',
    '  timespan: 5m',
    ...(type === 'temporal' ? [] : ['  condition: {gte: 1}']),
    'level: high',
  ].join('\n');
}

const RULES = [
  [
    'title: logon base',
    'name: logon_base',
    'id: 6a0c0c0c-0000-4000-8000-000000000001',
    'logsource: {product: windows, service: security}',
    'detection:',
    '  sel: {EventID: 4624}',
    '  condition: sel',
    'level: low',
  ].join('\n'),
  correlation('corr_a', 2, ['corr_b']),
  correlation('corr_b', 3, ['corr_c']),
  correlation('corr_c', 4, ['corr_a', 'logon_base']),
  correlation('corr_self', 5, ['corr_self', 'logon_base'], 'temporal'),
  correlation('many_logons', 6, ['logon_base']),
].join('\n---\n');

function writeRules(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-cycles-'));
  const file = join(dir, 'cycles.yml');
  writeFileSync(file, `${RULES}\n`);
  return file;
}

/** Each cycle is reported at the reference that leads into it. */
const EXPECTED = [
  ':15:11: error correlation.reference_cycle: correlation "corr_a title" refers to itself through corr_a → corr_b → corr_c → corr_a, so it can never fire and is not loaded',
  ':26:11: error correlation.reference_cycle: correlation "corr_b title" refers to itself through corr_b → corr_c → corr_a → corr_b, so it can never fire and is not loaded',
  ':37:11: error correlation.reference_cycle: correlation "corr_c title" refers to itself through corr_c → corr_a → corr_b → corr_c, so it can never fire and is not loaded',
  ':48:11: error correlation.reference_cycle: correlation "corr_self title" refers to itself through corr_self → corr_self, so it can never fire and is not loaded',
];

describe('correlation reference cycles', () => {
  it('fails each rule of a cycle in rules check', () => {
    const file = writeRules();
    const result = runCli(['rules', 'check', '--no-default-rules', file]);
    assert.equal(result.status, 2);
    const lines = result.stdout.split('\n').filter((line) => line.includes(': error '));
    assert.deepEqual(
      lines,
      EXPECTED.map((line) => `${file}${line}`),
    );
    assert.match(
      result.stdout,
      /^Loaded 2 of 6 rule documents from 1 files: 1 detection rules, 1 correlation rules/m,
    );
  });

  it('reports the cycles in a scan and runs the rest', () => {
    const file = writeRules();
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      file,
      '--db',
      ':memory:',
      '--output',
      'ndjson',
      CASE_LOG,
    ]);
    assert.equal(result.status, 0, result.stderr);
    for (const line of EXPECTED) assert.ok(result.stderr.includes(`${file}${line}`), line);
    assert.match(result.stderr, /^4 rule problems: those rules are not loaded/m);
    assert.match(result.stderr, /Scanned 1 inputs with 2 rules/);
  });
});
