import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAlerts, runCli } from './helpers/cli.js';

const temp = mkdtempSync(join(tmpdir(), 'trustwatch-hunt-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function rule(id: string, title: string, level: string, status: string, tag: string): string {
  return `title: ${title}
id: ${id}
status: ${status}
level: ${level}
author: Test Author
tags: [${tag}]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\whoami.exe'
  condition: selection
`;
}

function event(time: string, record: number): string {
  return JSON.stringify({
    Event: {
      System: {
        EventID: 1,
        EventRecordID: record,
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        TimeCreated: { '#attributes': { SystemTime: time } },
      },
      EventData: { Image: 'C:\\Windows\\System32\\whoami.exe' },
    },
  });
}

const rules = join(temp, 'rules');
const logs = join(temp, 'events.json');
{
  const { mkdirSync } = await import('node:fs');
  mkdirSync(rules);
  writeFileSync(
    join(rules, 'a.yml'),
    rule('00000000-0000-4000-8000-00000000000a', 'Low rule', 'low', 'test', 'attack.t1033'),
  );
  writeFileSync(
    join(rules, 'b.yml'),
    rule('00000000-0000-4000-8000-00000000000b', 'High rule', 'high', 'stable', 'attack.discovery'),
  );
  writeFileSync(
    logs,
    [
      event('2025-10-24T06:00:00Z', 1),
      event('2025-10-24T12:00:00Z', 2),
      event('2025-10-25T12:00:00Z', 3),
    ].join('\n'),
  );
}

function scan(...extra: string[]) {
  const result = runCli([
    'scan',
    '--no-default-rules',
    '--rules',
    rules,
    logs,
    '--db',
    ':memory:',
    '--output',
    'ndjson',
    ...extra,
  ]);
  assert.equal(result.status, 0, result.stderr);
  return { alerts: parseAlerts(result.stdout) as { rule: { title: string } }[], ...result };
}

describe('scan hunting options', () => {
  it('prints a hit table on stderr', () => {
    const { alerts, stderr } = scan();
    assert.equal(alerts.length, 6);
    assert.match(stderr, /Hits per rule:\n {2}level +hits +first +last +rule\n/);
    assert.match(
      stderr,
      /high +3 +2025-10-24 06:00:00.000 \+00:00 +2025-10-25 12:00:00.000 \+00:00 +High rule/,
    );
    assert.match(stderr, /2 rules raised 6 alerts/);
  });

  it('selects by minimum level', () => {
    const { alerts } = scan('--level', 'medium');
    assert.deepEqual(new Set(alerts.map((alert) => alert.rule.title)), new Set(['High rule']));
  });

  it('selects by status, tag and id', () => {
    assert.equal(scan('--status', 'test').alerts[0]?.rule.title, 'Low rule');
    assert.equal(scan('--tag', 'attack.t10*').alerts[0]?.rule.title, 'Low rule');
    const byId = scan('--rule-id', '00000000-0000-4000-8000-00000000000b');
    assert.equal(byId.alerts[0]?.rule.title, 'High rule');
    assert.equal(byId.alerts.length, 3);
  });

  it('filters on event time in a zone', () => {
    const { alerts, stderr } = scan(
      '--since',
      '2025-10-24 10:00',
      '--until',
      '2025-10-25',
      '--timezone',
      'Europe/Berlin',
    );
    // 10:00 in Berlin is 08:00 UTC, so only the event at 12:00 UTC on the 24th is inside.
    assert.equal(alerts.length, 2);
    assert.match(stderr, /2 outside --since\/--until/);
    assert.match(stderr, /2025-10-24 14:00:00.000 \+02:00/);
  });

  it('hits output prints only the table', () => {
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      rules,
      logs,
      '--db',
      ':memory:',
      '--output',
      'hits',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^level +hits/);
    assert.match(result.stdout, /low +3 .* Low rule\n/);
  });

  it('rejects invalid values', () => {
    for (const [option, value, message] of [
      ['--level', 'severe', /--level must be one of informational, low/],
      ['--timezone', 'Mars/Base', /unknown time zone "Mars\/Base"/],
      ['--since', 'yesterday', /--since "yesterday" is not a time/],
    ] as const) {
      const result = runCli(['scan', '--no-default-rules', '--rules', rules, logs, option, value]);
      assert.equal(result.status, 2, `${option} ${value}`);
      assert.match(result.stderr, message);
    }
  });
});
