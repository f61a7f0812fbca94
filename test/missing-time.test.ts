import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { SourceSettings } from '../src/sources/format.js';
import { runCli } from './helpers/cli.js';
import { readAll, readOne, TEST_SETTINGS } from './helpers/read.js';
import { REPO_ROOT } from './helpers/shared.js';

/** The modification time given to each input, in whole seconds as file systems keep it. */
const MTIME_MS = Date.UTC(2024, 2, 12, 9, 30, 0);

const INPUT_TIME: SourceSettings = { ...TEST_SETTINGS, missingTime: 'input_time' };

const XML_EVENT = (() => {
  const log = join(REPO_ROOT, 'examples', 'scenario-an1344-rdp-msp-chain', 'logs');
  const xml = readFileSync(join(log, 'app01-security.xml'), 'utf8');
  return /<Event[\s>][\s\S]*?<\/Event>/.exec(xml)?.[0] ?? '';
})();

const FLAT = {
  EventID: 4688,
  Channel: 'Security',
  Hostname: 'h1',
  '@timestamp': '2024-03-12T10:00:00Z',
  SubjectUserName: 'u',
};

const WINLOGBEAT = {
  '@timestamp': '2024-03-12T10:00:00.000Z',
  event: { code: '4688' },
  winlog: { channel: 'Security', event_id: '4688', computer_name: 'h1', event_data: {} },
};

const WINDOWS_JSON = {
  Event: {
    System: {
      EventID: 4688,
      Channel: 'Security',
      Computer: 'h1',
      TimeCreated: { '#attributes': { SystemTime: '2024-03-12T10:00:00.000Z' } },
    },
    EventData: { SubjectUserName: 'u' },
  },
};

const JOURNAL = {
  __REALTIME_TIMESTAMP: '1710900849482913',
  _HOSTNAME: 'web01',
  SYSLOG_IDENTIFIER: 'sshd',
  _PID: '36336',
  MESSAGE: 'Server listening on :: port 22.',
};

const LOG_ANALYTICS = {
  TimeGenerated: '2024-03-12T10:00:00Z',
  Computer: 'web01',
  HostName: 'web01',
  ProcessName: 'sshd',
  SyslogMessage: 'Server listening on :: port 22.',
};

const CLOUDTRAIL = {
  eventVersion: '1.08',
  eventTime: '2024-03-12T10:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/u' },
};

const GCP = {
  timestamp: '2024-03-12T10:00:00Z',
  protoPayload: {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    methodName: 'v1.compute.instances.delete',
    authenticationInfo: { principalEmail: 'u@example.com' },
  },
  resource: { type: 'gce_instance' },
};

const AUDIT =
  'type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes exit=0 auid=1000 uid=1000 comm="arp" exe="/usr/sbin/arp"';

function without(value: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const copy = structuredClone(value);
  for (const key of keys) delete copy[key];
  return copy;
}

function lines(...values: unknown[]): string {
  return `${values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))).join('\n')}\n`;
}

/**
 * Inputs per format: a readable record first (so the format is detected), then one without a
 * readable time, and the reason the rejection gives.
 */
const CASES: { format: string; text: string; reason: RegExp }[] = [
  {
    format: 'windows-xml',
    text: `<Events>${XML_EVENT}\n${XML_EVENT.replace(/<TimeCreated [^>]*\/>/, '')}</Events>`,
    reason: /none of its time fields is set/,
  },
  {
    format: 'windows-json',
    text: lines(WINDOWS_JSON, {
      Event: { ...WINDOWS_JSON.Event, System: without(WINDOWS_JSON.Event.System, 'TimeCreated') },
    }),
    reason: /none of its time fields is set/,
  },
  {
    format: 'windows-flat',
    text: lines(FLAT, without(FLAT, '@timestamp')),
    reason: /none of its time fields is set/,
  },
  {
    format: 'windows-flat',
    text: lines(FLAT, { ...FLAT, '@timestamp': 'yesterday' }),
    reason: /unreadable time "yesterday"/,
  },
  {
    format: 'windows-flat',
    text: lines(FLAT, { ...FLAT, '@timestamp': 1e30 }),
    reason: /unreadable time 1e\+30/,
  },
  {
    format: 'winlogbeat',
    text: lines(WINLOGBEAT, without(WINLOGBEAT, '@timestamp')),
    reason: /none of its time fields is set/,
  },
  {
    format: 'linux-syslog',
    text: lines(
      '<38>1 2024-03-12T10:00:00Z web01 sshd 4211 - - Server listening on :: port 22.',
      '<38>1 - web01 sshd 4211 - - Server listening on :: port 22.',
    ),
    reason: /unreadable timestamp "-"/,
  },
  {
    format: 'journald-json',
    text: lines(JOURNAL, without(JOURNAL, '__REALTIME_TIMESTAMP')),
    reason: /the record has no timestamp/,
  },
  {
    format: 'linux-auditd',
    text: lines(AUDIT, AUDIT.replace('1604994496.155:92733', '99999999999999999999.155:92734')),
    reason: /unreadable audit time "99999999999999999999.155"/,
  },
  {
    format: 'log-analytics-syslog',
    text: lines(LOG_ANALYTICS, without(LOG_ANALYTICS, 'TimeGenerated')),
    reason: /none of its time fields is set/,
  },
  {
    format: 'aws-cloudtrail',
    text: lines(CLOUDTRAIL, without(CLOUDTRAIL, 'eventTime')),
    reason: /none of its time fields is set/,
  },
  {
    format: 'gcp-audit',
    text: lines(GCP, without(GCP, 'timestamp')),
    reason: /none of its time fields is set/,
  },
];

function write(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'trustwatch-time-')), 'input');
  writeFileSync(file, text);
  utimesSync(file, MTIME_MS / 1000, MTIME_MS / 1000);
  return file;
}

describe('settings.missing_time', () => {
  for (const { format, text, reason } of CASES) {
    it(`${format}: rejects a record without a time by default (${reason.source})`, async () => {
      const result = await readOne(write(text));
      assert.equal(result.format, format, result.reason);
      assert.equal(result.events.length, 1);
      assert.equal(result.rejections.length, 1);
      assert.equal(result.rejections[0]?.code, 'invalid_time');
      assert.match(result.rejections[0]?.message ?? '', reason);
      assert.match(result.rejections[0]?.message ?? '', /^record has no readable event time/);
    });

    it(`${format}: gives it the input time under input_time (${reason.source})`, async () => {
      const result = await readOne(write(text), { settings: INPUT_TIME });
      assert.equal(result.format, format, result.reason);
      assert.deepEqual(result.rejections, []);
      assert.equal(result.events.length, 2);
      assert.equal(result.events[1]?.time, MTIME_MS);
    });

    it(`${format}: rejects it from standard input (${reason.source})`, async () => {
      const stdin = () => Readable.from([Buffer.from(text)]);
      const [result] = await readAll(['-'], { settings: INPUT_TIME, stdin });
      assert.equal(result?.format, format, result?.reason);
      assert.equal(result?.events.length, 1);
      assert.equal(result?.rejections[0]?.code, 'invalid_time');
      assert.match(result?.rejections[0]?.message ?? '', /the input has no modification time/);
    });
  }
});

describe('settings.missing_time warning', () => {
  const AUDIT = [
    'type=SYSCALL msg=audit(1605000000.123:100): arch=c000003e syscall=59 success=yes exit=0 a0=55 items=1 ppid=1 pid=2 auid=1000 uid=0 exe="/usr/bin/id" key=(null)',
    'type=EXECVE msg=audit(1605000000.123:100): argc=1 a0="id"',
    'type=EXECVE msg=audit(99999999999999999999.1:1): argc=1 a0=6964',
    '',
  ].join('\n');

  for (const workers of ['1', '2']) {
    it(`warns once per input with ${workers} workers`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-missing-time-'));
      const context = join(dir, 'trustwatch.yaml');
      writeFileSync(context, 'settings:\n  missing_time: input_time\n');
      const inputs = ['a.log', 'b.log'].map((name) => join(dir, name));
      for (const input of inputs) writeFileSync(input, AUDIT);

      const result = runCli([
        'scan',
        '--context',
        context,
        '--db',
        ':memory:',
        '--no-progress',
        '--output',
        'ndjson',
        '--workers',
        workers,
        ...inputs,
      ]);
      assert.equal(result.status, 0, result.stderr);
      const warnings = result.stderr
        .split('\n')
        .filter((line) => line.includes('take the input time'));
      assert.equal(warnings.length, 2, result.stderr);
      for (const input of inputs) {
        assert.equal(warnings.filter((line) => line.includes(`file=${input} `)).length, 1, input);
      }
    });
  }
});
