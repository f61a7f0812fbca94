import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkIsoTime } from '../../src/model/time.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

const CASE_LOG = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml');

function scan(args: readonly string[]) {
  return runCli([
    'scan',
    '--no-default-rules',
    '--rules',
    'rules/det0488',
    '--db',
    ':memory:',
    ...args,
    CASE_LOG,
  ]);
}

describe('checkIsoTime', () => {
  const invalid: [string, string][] = [
    ['2024-13-45', 'month 13 does not exist'],
    ['2024-00-10', 'month 00 does not exist'],
    ['2024-02-30', '2024-02 has 29 days, not 30'],
    ['2023-02-29', '2023-02 has 28 days, not 29'],
    ['1900-02-29', '1900-02 has 28 days, not 29'],
    ['2024-04-31', '2024-04 has 30 days, not 31'],
    ['2024-04-00', '2024-04 has 30 days, not 00'],
    ['2024-03-01T24:00', 'hour 24 is not 00 to 23'],
    ['2024-03-01T10:60', 'minute 60 is not 00 to 59'],
    ['2024-03-01T10:00:61Z', 'second 61 is not 00 to 59'],
    ['2024-03-01T10:00+24:00', 'zone offset +24:00 is not from -23:59 to +23:59'],
    ['2024-03-01T10:00-0560', 'zone offset -0560 is not from -23:59 to +23:59'],
    ['2024-03-01x', 'not an ISO 8601 date or date-time'],
    ['2024-03-01T10:00:00Z junk', 'not an ISO 8601 date or date-time'],
    ['2024-3-1', 'not an ISO 8601 date or date-time'],
    ['yesterday', 'not an ISO 8601 date or date-time'],
  ];
  for (const [text, reason] of invalid) {
    it(`rejects ${text}`, () => {
      assert.equal(checkIsoTime(text), reason);
    });
  }

  const valid = [
    '2024-02-29',
    '2000-02-29',
    '2024-12-31',
    '2024-03-01T23:59:59.999Z',
    '2024-03-01 08:00',
    '2024-03-01T08:00:00+14:00',
    '2024-03-01T08:00:00-0930',
  ];
  for (const text of valid) {
    it(`accepts ${text}`, () => {
      assert.equal(checkIsoTime(text), undefined);
    });
  }
});

describe('time options', () => {
  const cases: [string, string, RegExp][] = [
    ['--since', '2024-13-45', /month 13 does not exist/],
    ['--since', '2024-02-30', /2024-02 has 29 days, not 30/],
    ['--until', '2024-04-10T25:00', /hour 25 is not 00 to 23/],
    ['--until', '2024-04-10T10:00:00Z trailing', /not an ISO 8601 date or date-time/],
    ['--since', '2024-04-10garbage', /not an ISO 8601 date or date-time/],
    ['--baseline-until', '2023-02-29', /2023-02 has 28 days, not 29/],
    ['--baseline-until', '1711929600', /not an ISO 8601 date or date-time/],
  ];
  for (const [option, value, reason] of cases) {
    it(`rejects ${option} ${value}`, () => {
      const result = scan([option, value]);
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stdout, '');
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0]?.startsWith(`trustwatch: ${option} "${value}" is not a time: `), lines[0]);
      assert.match(lines[0] ?? '', reason);
    });
  }

  it('accepts a leap day and a duration', () => {
    const leap = scan(['--since', '2024-02-29', '--until', '2024-04-01T00:00+02:00']);
    assert.equal(leap.status, 0, leap.stderr);
    const duration = scan(['--since', '7d']);
    assert.equal(duration.status, 0, duration.stderr);
  });

  it('reads --baseline-until in --timezone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-time-'));
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      'rules/det0488',
      '--db',
      join(dir, 'alerts.db'),
      '--timezone',
      'Europe/Berlin',
      '--baseline-until',
      '2024-04-01 02:00',
      CASE_LOG,
    ]);
    assert.equal(result.status, 0, result.stderr);
  });
});

describe('context dates', () => {
  it('rejects an allow entry until a date that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-time-'));
    const context = join(dir, 'trustwatch.yaml');
    writeFileSync(
      context,
      [
        'allow:',
        '  - reason: patch night',
        '    host: APP01*',
        '    until: 2024-02-30',
        '  - reason: audit',
        '    host: APP02*',
        '    until: 2024-04-01T10:00:00Zjunk',
        '',
      ].join('\n'),
    );
    const result = scan(['--context', context]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /invalid context file \(2 problems\)/);
    assert.match(
      result.stderr,
      /trustwatch\.yaml:4:12: .*allow\.0\.until: "2024-02-30" is not a date: 2024-02 has 29 days, not 30/,
    );
    assert.match(
      result.stderr,
      /trustwatch\.yaml:7:12: .*allow\.1\.until: "2024-04-01T10:00:00Zjunk" is not a date: not an ISO 8601/,
    );
  });
});
