import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { escapeControlLines, escapeControls } from '../../src/model/terminal-text.js';
import { parseAlerts, runCli } from '../helpers/cli.js';

/** Control characters that must never reach a terminal raw from a log, rule or context value. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const USER = 'bob\u001b]0;pwned\u0007';
const HOST = 'HOST\u001b[2J01';
const COMMAND_LINE = 'cmd \u009b31m /c whoami\r\nfake line';

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-terminal-'));
}

/** Writes a Windows event whose values carry escape sequences, with a rule and a context. */
function hostileCase(): { dir: string; log: string; rule: string; context: string } {
  const dir = temp();
  const log = join(dir, 'events\u001b[31m.json');
  const event = {
    EventID: 4688,
    Channel: 'Security',
    Hostname: HOST,
    TimeCreated: '2024-03-01T10:00:00Z',
    SubjectUserName: USER,
    NewProcessName: 'C:\\x.exe',
    CommandLine: COMMAND_LINE,
  };
  writeFileSync(log, `${JSON.stringify(event)}\n`);
  const rule = join(dir, 'rule.yml');
  writeFileSync(
    rule,
    [
      'title: "Whoami \\e[1mrun"',
      'id: 5b0f6f36-8a7e-4d3c-9d5e-2c1f1f0a7e11',
      'status: test',
      'logsource: {product: windows, category: process_creation}',
      'detection:',
      '  selection: {CommandLine|contains: whoami}',
      '  condition: selection',
      'level: high',
      '',
    ].join('\n'),
  );
  const context = join(dir, 'trustwatch.yaml');
  writeFileSync(
    context,
    [
      'parties:',
      '  - name: "Evil\\e[5m Party"',
      '    kind: msp',
      '    accounts: ["bob*"]',
      '',
    ].join('\n'),
  );
  return { dir, log, rule, context };
}

function assertNoRawControls(text: string, what: string): void {
  const found = RAW_CONTROL.exec(text);
  assert.equal(found, null, `${what} has a raw control character: ${JSON.stringify(text)}`);
}

describe('escapeControls', () => {
  const cases: [string, string][] = [
    ['plain text', 'plain text'],
    ['CONTOSO\\acme-jlee', 'CONTOSO\\acme-jlee'],
    ['a\u001b[31mb', 'a\\x1b[31mb'],
    ['title\u001b]0;x\u0007', 'title\\x1b]0;x\\x07'],
    ['csi\u009b2J', 'csi\\x9b2J'],
    ['line\r\nfake', 'line\\r\\nfake'],
    ['tab\there', 'tab\\there'],
    ['nul\u0000del\u007f', 'nul\\x00del\\x7f'],
    ['bidi\u202eevil', 'bidi\\u202eevil'],
    ['isolate\u2066x\u2069', 'isolate\\u2066x\\u2069'],
    ['ünïcode ✓', 'ünïcode ✓'],
  ];
  for (const [input, expected] of cases) {
    it(`shows ${JSON.stringify(input)} visibly`, () => {
      assert.equal(escapeControls(input), expected);
    });
  }

  it('leaves escaped text unchanged', () => {
    const once = escapeControls('a\u001b[31mb\n');
    assert.equal(escapeControls(once), once);
  });

  it('keeps line breaks in escapeControlLines', () => {
    assert.equal(escapeControlLines('one\u001b\ntwo\r'), 'one\\x1b\ntwo\\r');
  });
});

describe('terminal output of log values', () => {
  it('escapes the alert table, summary and hit table', () => {
    const { log, rule, context } = hostileCase();
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      rule,
      '--context',
      context,
      '--output',
      'table',
      '--db',
      ':memory:',
      log,
      log,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assertNoRawControls(result.stdout, 'the alert table');
    assertNoRawControls(result.stderr, 'the summary');
    assert.match(result.stdout, /actor bob\\x1b\]0;pwned\\x07/);
    assert.match(result.stdout, /host HOST\\x1b\[2J01/);
    assert.match(result.stdout, /cmd \\x9b31m \/c whoami\\r\\nfake line/);
    assert.match(result.stdout, /events\\x1b\[31m\.json:1/);
    assert.match(result.stdout, /Whoami \\x1b\[1mrun/);
    assert.match(result.stderr, /party Evil\\x1b\[5m Party: 1/);
    assert.match(result.stderr, /events\\x1b\[31m\.json \[windows-flat\] 1 read/);
    assert.match(result.stderr, /high +1 .*Whoami \\x1b\[1mrun/);
    assert.match(result.stderr, /warn: input given more than once.*events\\x1b\[31m\.json/);
  });

  it('keeps NDJSON values exact', () => {
    const { log, rule, context } = hostileCase();
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      rule,
      '--context',
      context,
      '--output',
      'ndjson',
      '--db',
      ':memory:',
      log,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const [alert] = parseAlerts(result.stdout) as {
      actor: string;
      host: string;
      party: string;
      evidence: { file: string; fields: Record<string, string> }[];
    }[];
    assert.equal(alert?.actor, USER);
    assert.equal(alert?.host, HOST);
    assert.equal(alert?.party, 'Evil\u001b[5m Party');
    assert.equal(alert?.evidence[0]?.file, log);
    assert.equal(alert?.evidence[0]?.fields.CommandLine, COMMAND_LINE);
  });

  it('escapes explain and baseline show', () => {
    const { dir, log, rule, context } = hostileCase();
    const db = join(dir, 'alerts.db');
    const scan = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      rule,
      '--context',
      context,
      '--output',
      'ndjson',
      '--learn',
      '--db',
      db,
      log,
    ]);
    assert.equal(scan.status, 0, scan.stderr);
    const id = (parseAlerts(scan.stdout)[0] as { id: string }).id;

    const explain = runCli(['explain', '--db', db, id]);
    assert.equal(explain.status, 0, explain.stderr);
    assertNoRawControls(explain.stdout, 'explain');
    assert.match(explain.stdout, /^actor {3}bob\\x1b\]0;pwned\\x07$/m);
    assert.match(explain.stdout, /^party {3}Evil\\x1b\[5m Party$/m);
    assert.match(explain.stdout, /events\\x1b\[31m\.json record 1/);

    const json = runCli(['explain', '--db', db, '--json', id]);
    assert.equal((JSON.parse(json.stdout) as { actor: string }).actor, USER);

    const show = runCli(['baseline', 'show', '--db', db]);
    assert.equal(show.status, 0, show.stderr);
    assert.ok(show.stdout.length > 0, 'no baselines were listed');
    for (const line of show.stdout.trimEnd().split('\n')) {
      assert.equal(line.split('\t').length, 7, `a value added a column: ${line}`);
      assertNoRawControls(line.replaceAll('\t', ' '), 'baseline show');
    }
    assert.match(show.stdout, /^party\tEvil\\x1b\[5m Party\thost\thost\\x1b\[2j01\t/m);
  });

  it('escapes rule problems and error messages', () => {
    const { dir } = hostileCase();
    const broken = join(dir, 'broken\u001b[8m.yml');
    writeFileSync(
      broken,
      'title: "Broken \\e[2J"\nlogsource: {product: windows}\ndetection:\n  sel: {a|nope\u001b[3m: 1}\n  condition: sel\n',
    );
    const check = runCli(['rules', 'check', '--no-default-rules', broken]);
    assert.equal(check.status, 2, check.stderr);
    assertNoRawControls(check.stdout, 'rules check');
    assert.match(check.stdout, /broken\\x1b\[8m\.yml:4/);

    const missing = runCli(['scan', '--db', ':memory:', join(dir, 'gone\u001b[31m.json')]);
    assert.equal(missing.status, 2);
    assertNoRawControls(missing.stderr, 'the error message');
    assert.match(missing.stderr, /gone\\x1b\[31m\.json/);

    const option = runCli(['scan', '--bogus\u001b[31m', 'x']);
    assert.equal(option.status, 2);
    assertNoRawControls(option.stderr, 'the option error');
    assert.match(option.stderr, /--bogus\\x1b\[31m/);
  });
});
