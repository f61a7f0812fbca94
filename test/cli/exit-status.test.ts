import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import { main } from '../../src/cli/main.js';
import { type CliResult, nobody, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { makeZip } from '../helpers/zip.js';

const CASE_LOG = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml');

/** A folder that user nobody can enter, with a copy of the bundled case log. */
function temp(): { dir: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
  chmodSync(dir, 0o755);
  const log = join(dir, 'security.xml');
  copyFileSync(CASE_LOG, log);
  chmodSync(log, 0o644);
  return { dir, log };
}

function scan(args: readonly string[], options: Parameters<typeof runCli>[1] = {}): CliResult {
  return runCli(['scan', '--no-default-rules', '--rules', 'rules/det0488', ...args], options);
}

/** Asserts status 2, nothing on standard output and one line on standard error. */
function assertEnvironmentError(result: CliResult, pattern: RegExp): void {
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] ?? '', /^trustwatch: /);
  assert.match(lines[0] ?? '', pattern);
}

/** Returns the user to run as so that file permissions apply, or undefined to skip the test. */
function unprivileged(t: TestContext): { uid: number; gid: number } | 'self' | undefined {
  if (process.getuid?.() !== 0) return 'self';
  const user = nobody();
  if (!user) t.skip('running as root and there is no user nobody to run as');
  return user;
}

describe('exit status of environment errors', () => {
  it('is 2 for a missing input path', () => {
    const { dir } = temp();
    const result = scan(['--db', ':memory:', join(dir, 'missing.xml')]);
    assertEnvironmentError(result, /missing\.xml: cannot read input: ENOENT/);
  });

  it('is 2 for an unreadable input file', (t) => {
    const user = unprivileged(t);
    if (!user) return;
    const { log } = temp();
    chmodSync(log, 0o000);
    const result = scan(['--db', ':memory:', log], user === 'self' ? {} : { user });
    assertEnvironmentError(result, /security\.xml: cannot read input: EACCES: permission denied/);
  });

  it('is 2 for a database in a missing folder', () => {
    const { dir, log } = temp();
    const db = join(dir, 'no-such-folder', 'alerts.db');
    const result = scan(['--db', db, log]);
    assertEnvironmentError(result, /alerts\.db: failed to open the database: /);
    assert.equal(existsSync(join(dir, 'no-such-folder')), false);
  });

  it('is 2 for a database path that is a folder', () => {
    const { dir, log } = temp();
    const result = scan(['--db', dir, log]);
    assertEnvironmentError(result, /failed to open the database: unable to open database file/);
  });

  it('is 2 for a file that is not a database', () => {
    const { dir, log } = temp();
    const db = join(dir, 'notes.db');
    writeFileSync(db, 'these are notes, not SQLite\n'.repeat(40));
    const result = scan(['--db', db, log]);
    assertEnvironmentError(
      result,
      /notes\.db: failed to open the database: file is not a database/,
    );
  });

  it('is 2 for a database in a read-only folder', (t) => {
    const user = unprivileged(t);
    if (!user) return;
    const { dir, log } = temp();
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const result = scan(['--db', join(locked, 'alerts.db'), log], user === 'self' ? {} : { user });
    assertEnvironmentError(result, /alerts\.db: failed to open the database: /);
  });

  it('is 2 for a report in a missing folder, before scanning', () => {
    const { dir, log } = temp();
    const db = join(dir, 'alerts.db');
    const report = join(dir, 'out', 'report.html');
    const result = scan(['--db', db, '--report', report, log]);
    assertEnvironmentError(result, /--report \S+report\.html: the folder \S+out does not exist/);
    assert.equal(existsSync(db), false, 'the scan ran before the report was checked');
  });

  it('is 2 for a report path that is a folder', () => {
    const { dir, log } = temp();
    const result = scan(['--db', ':memory:', '--report', dir, log]);
    assertEnvironmentError(result, /--report \S+: is a folder, not a file/);
  });

  it('is 2 for a missing rules path', () => {
    const { dir, log } = temp();
    const result = runCli(['scan', '--db', ':memory:', '--rules', join(dir, 'nope'), log]);
    assertEnvironmentError(result, /rules path not found: \S+nope/);
    const check = runCli(['rules', 'check', join(dir, 'nope')]);
    assertEnvironmentError(check, /rules path not found: \S+nope/);
  });

  it('is 2 for a missing baseline input', () => {
    const { dir } = temp();
    const db = join(dir, 'baselines.db');
    const result = runCli(['baseline', 'build', '--db', db, join(dir, 'missing')]);
    assertEnvironmentError(result, /missing: cannot read input: ENOENT/);
    assert.equal(existsSync(db), false);
  });
});

describe('exit status of invalid options', () => {
  const cases: [string[], RegExp][] = [
    [['--workers', '0'], /--workers must be a whole number from 1 to 64, not "0"/],
    [['--output', 'xml'], /--output must be one of table, json, ndjson, ocsf, hits, not "xml"/],
    [['--log-level', 'loud'], /--log-level must be debug, info, warn or error, not "loud"/],
    [['--log-format', 'yaml'], /--log-format must be text or json, not "yaml"/],
    [['--format', 'nope'], /unknown format "nope"/],
    [['--timezone', 'Mars/Base'], /--timezone: unknown time zone "Mars\/Base"/],
    [['--level', 'severe'], /--level must be one of .*, not "severe"/],
    [['--since', 'yesterday'], /--since "yesterday" is not a time/],
    [['--unresolved-placeholders', 'drop'], /--unresolved-placeholders must be /],
  ];
  for (const [args, pattern] of cases) {
    it(`is 2 for ${args.join(' ')}`, () => {
      const { log } = temp();
      assertEnvironmentError(scan(['--db', ':memory:', ...args, log]), pattern);
    });
  }

  it('reads format, output and log option names in any case', () => {
    const { log } = temp();
    const args = ['--db', ':memory:', '--format', 'Windows-XML', '--log-level', 'WARN'];
    const result = scan([...args, '--log-format', 'Text', '--output', 'NDJSON', log]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /Scanned 1 inputs/);
    // With no alerts, NDJSON writes nothing and the table output writes a line.
    assert.equal(result.stdout, '');
    const table = scan(['--db', ':memory:', '--output', 'Table', log]);
    assert.equal(table.stdout.trim(), 'No alerts.');
  });

  it('is 2 for an unknown option', () => {
    const result = runCli(['scan', '--colour', 'x']);
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /unknown option '--colour'/);
  });

  const usageErrors: [string[], string][] = [
    [['scan', '--bogus-option', 'x'], "trustwatch: unknown option '--bogus-option'\n"],
    [['scan', '--formt', 'x'], "trustwatch: unknown option '--formt' (Did you mean --format?)\n"],
    [['explain'], "trustwatch: missing required argument 'alert-id'\n"],
    [['nosuchcmd'], "trustwatch: unknown command 'nosuchcmd'\n"],
    [['scan', 'x', '--workers'], "trustwatch: option '--workers <count>' argument missing\n"],
  ];
  for (const [args, message] of usageErrors) {
    it(`is 2 with one line for ${args.join(' ')}`, () => {
      const result = runCli(args);
      assert.equal(result.status, 2);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr, message);
    });
  }

  it('is 2 with help on stderr without a command', () => {
    const result = runCli([]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^Usage: trustwatch \[options\] \[command\]\n/);
    assert.match(result.stderr, /^ {2}scan \[options\] <paths\.\.\.>/m);
  });

  it('is 0 with help on stdout for --help', () => {
    const result = runCli(['--help']);
    assert.equal(result.status, 0);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /^Usage: trustwatch \[options\] \[command\]\n/);
  });
});

/** Why the input that `cutGzip` writes fails: it contains no valid member, so it is not gzip. */
const CUT_GZIP_REASON =
  'not gzip: no valid gzip member was found in the 8 bytes of the input, which may be damaged ' +
  'throughout: "\\x1f\\x8b\\x08\\x00garb". They start with the gzip magic, but the input ends ' +
  'inside their member header';

/** Writes a gzip header cut after 8 bytes, which fails as it is read. */
function cutGzip(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x67, 0x61, 0x72, 0x62]));
  return path;
}

/** A CloudTrail digest file: no events, so the scan skips it with a note. */
const CLOUDTRAIL_DIGEST = JSON.stringify({
  awsAccountId: '218007301253',
  digestStartTime: '2023-07-10T11:10:00Z',
  digestEndTime: '2023-07-10T12:10:00Z',
  digestS3Bucket: 'trail-bucket',
  logFiles: [],
});

describe('exit status of baseline build when no input is read', () => {
  it('is 2 and saves nothing when the only input fails', () => {
    const { dir } = temp();
    const gz = cutGzip(dir, 'cut.json.gz');
    const db = join(dir, 'baselines.db');
    const result = runCli(['baseline', 'build', '--db', db, gz]);
    assert.equal(result.status, 2, result.stderr);
    assert.ok(result.stderr.includes(`cut.json.gz: not read: ${CUT_GZIP_REASON}\n`));
    assert.equal(
      result.stderr.trimEnd().split('\n').at(-1),
      'trustwatch: nothing learned: the input could not be read, so no sightings were saved',
    );
    assert.doesNotMatch(result.stderr, /Learned/);
  });

  it('is 2 when a failed input sits beside an empty one', () => {
    const { dir } = temp();
    const gz = cutGzip(dir, 'cut.json.gz');
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '');
    const result = runCli(['baseline', 'build', '--db', join(dir, 'baselines.db'), empty, gz]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(
      result.stderr,
      /nothing learned: 1 of the 2 inputs could not be read and the other input contains no records/,
    );
  });

  it('is 0 when one input of two is read', () => {
    const { dir, log } = temp();
    const gz = cutGzip(dir, 'cut.json.gz');
    const result = runCli(['baseline', 'build', '--db', join(dir, 'baselines.db'), log, gz]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /Learned \d+ sightings of third-party activity from 165 events/);
  });
});

describe('exit status when no input is read', () => {
  const NOTHING_ONE =
    'trustwatch: nothing scanned: the input could not be read (the summary above says why)';

  it('is 2 when the only input fails', () => {
    const { dir } = temp();
    const gz = cutGzip(dir, 'cut.json.gz');
    const result = scan(['--db', ':memory:', '--no-progress', gz]);
    assert.equal(result.status, 2, result.stderr);
    assert.ok(result.stderr.includes(`  ${gz}: not read: ${CUT_GZIP_REASON}\n`), result.stderr);
    assert.equal(result.stderr.trimEnd().split('\n').at(-1), NOTHING_ONE);
  });

  it('is 2 when every input of a folder fails, and names the count', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    cutGzip(dir, 'a.json.gz');
    writeFileSync(join(dir, 'notes.txt'), 'shopping list\nmilk\n');
    const result = scan(['--db', ':memory:', '--no-progress', dir]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /notes\.txt: not read: no known format matches the content/);
    assert.equal(
      result.stderr.trimEnd().split('\n').at(-1),
      'trustwatch: nothing scanned: none of the 2 inputs could be read (the summary above says why)',
    );
  });

  it('is 0 when one input of two is read', () => {
    const { dir, log } = temp();
    const gz = cutGzip(dir, 'cut.json.gz');
    const result = scan(['--db', ':memory:', '--no-progress', '--output', 'hits', log, gz]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /Scanned 2 inputs with \d+ rules: 165 records read, 165 parsed/);
    assert.doesNotMatch(result.stderr, /nothing scanned/);
  });

  it('is 0 for inputs without records', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    writeFileSync(join(dir, 'a.log'), '');
    writeFileSync(join(dir, 'b.json'), '\n  \r\n\t');
    writeFileSync(join(dir, 'c.json'), '[]');
    writeFileSync(join(dir, 'd.json'), '[]\n[ ]\n');
    const graph =
      '{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",';
    writeFileSync(join(dir, 'e.json'), `${graph}"value":[]}`);
    writeFileSync(join(dir, 'f.json'), '{\n  "items": []\n}\n');
    // The Reports API leaves "items" out of a page without activities.
    const workspace = '{"kind":"admin#reports#activities","etag":"\\"3pSQ1Yu8-fJu\\""';
    writeFileSync(join(dir, 'g.json'), `${workspace}}`);
    writeFileSync(join(dir, 'h.json'), `${workspace},"nextPageToken":"A:17"}\r\n${workspace}}\r\n`);

    const result = scan(['--db', ':memory:', '--no-progress', dir]);

    assert.equal(result.status, 0, result.stderr);
    for (const [name, note] of [
      ['a.log', 'the input is empty: 0 records'],
      ['b.json', 'the input contains only whitespace: 0 records'],
      ['c.json', 'an empty JSON array (an export or API page without records): 0 records'],
      ['d.json', 'an empty JSON array (an export or API page without records): 0 records'],
      ['e.json', 'a page whose "value" array contains no records: 0 records'],
      ['f.json', 'a page whose "items" array contains no records: 0 records'],
      [
        'g.json',
        'a page of Google Workspace activities without "items" (kind ' +
          '"admin#reports#activities"): 0 records',
      ],
      [
        'h.json',
        '2 pages of Google Workspace activities without "items" (kind ' +
          '"admin#reports#activities"): 0 records',
      ],
    ]) {
      assert.ok(
        result.stderr.includes(`  ${join(dir, name as string)} skipped: ${note}\n`),
        result.stderr,
      );
    }
  });

  it('is 2 for an object of another kind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    const inputs = {
      'users.json': '{"kind":"admin#directory#users","etag":"\\"x\\""}',
      'null-items.json': '{"kind":"admin#reports#activities","etag":"\\"x\\"","items":null}',
    };
    for (const [name, text] of Object.entries(inputs)) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const result = scan(['--db', ':memory:', '--no-progress', path]);
      assert.equal(result.status, 2, `${name}: ${result.stderr}`);
      assert.match(result.stderr, /: not read: no known format matches the content/, name);
    }
  });

  describe('with empty inputs beside failed ones', () => {
    const EVTX = join(REPO_ROOT, 'test/fixtures/evtx/ID4720-Local_user_created.evtx');
    const OKTA_LOG = join(REPO_ROOT, 'test/fixtures/identity/panther-okta-systemlog.ndjson');

    /** Every kind of input that contains no records, each as the summary names it. */
    const EMPTY_INPUTS: Record<string, string> = {
      'empty.json': '',
      'blank.json': ' \r\n\t\n',
      'array.json': '[]\n',
      'graph-page.json':
        '{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[]}',
      'workspace-page.json': '{"kind":"admin#reports#activities","etag":"\\"3pSQ1Yu8-fJu\\""}',
    };

    /** Inputs that fail as they are read, each with the reason the summary gives. */
    function failedInputs(dir: string): { path: string; reason: RegExp }[] {
      const notGzip = join(dir, 'export.json.gz');
      writeFileSync(notGzip, 'this is not gzip, whatever its name says\n');
      // An EVTX file with a byte inverted every 512 bytes, which damages the signatures of the
      // file header and of every chunk, so no record can be found.
      const damagedEvtx = join(dir, 'security.evtx');
      const evtx = Buffer.from(readFileSync(EVTX));
      for (let index = 0; index < evtx.length; index += 512) {
        evtx[index] = (evtx[index] ?? 0) ^ 0xff;
      }
      writeFileSync(damagedEvtx, evtx);
      return [
        { path: cutGzip(dir, 'cut.json.gz'), reason: /not gzip: no valid gzip member was found/ },
        { path: notGzip, reason: /no known format matches the content \(it starts with "this/ },
        { path: damagedEvtx, reason: /no known format matches the content/ },
      ];
    }

    const lastLine = (result: CliResult) => result.stderr.trimEnd().split('\n').at(-1);

    it('is 2 for each empty input beside each failed one', () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
      const failed = failedInputs(dir);
      for (const [name, text] of Object.entries(EMPTY_INPUTS)) {
        const empty = join(dir, name);
        writeFileSync(empty, text);
        for (const { path, reason } of failed) {
          for (const order of [
            [empty, path],
            [path, empty],
          ]) {
            const result = scan(['--db', ':memory:', '--no-progress', ...order]);
            const pair = `${name} and ${path}`;
            assert.equal(result.status, 2, `${pair}: ${result.stderr}`);
            assert.ok(result.stderr.includes(`  ${empty} skipped: `), pair);
            assert.match(result.stderr, new RegExp(`  \\S+: not read: ${reason.source}`), pair);
            assert.equal(
              lastLine(result),
              'trustwatch: nothing scanned: 1 of the 2 inputs could not be read and the other ' +
                'input contains no records (the summary above says why)',
              pair,
            );
          }
        }
      }
    });

    it('is 2 for a folder of empty and failed inputs', () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
      failedInputs(dir);
      for (const [name, text] of Object.entries(EMPTY_INPUTS)) writeFileSync(join(dir, name), text);
      writeFileSync(join(dir, 'digest.json'), CLOUDTRAIL_DIGEST);
      // A delivered CloudTrail file without records is read as CloudTrail, and gives none.
      writeFileSync(join(dir, 'trail.json'), '{"Records":[]}\n{"Records":[]}\n');

      const result = scan(['--db', ':memory:', '--no-progress', dir]);

      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /digest\.json \[aws-cloudtrail-digest\] skipped: CloudTrail/);
      assert.match(result.stderr, /trail\.json \[aws-cloudtrail\] 0 read, .*, 2 pages without rec/);
      assert.equal(
        lastLine(result),
        'trustwatch: nothing scanned: 3 of the 10 inputs could not be read and the other 7 ' +
          'inputs contain no records (the summary above says why)',
      );
    });

    it('is 2 for a zip archive of empty and failed entries', () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
      const cut = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x67, 0x61, 0x72, 0x62]);
      const archive = join(dir, 'export.zip');
      writeFileSync(
        archive,
        makeZip([
          { name: 'empty.json', data: Buffer.alloc(0) },
          { name: 'cut.json.gz', data: cut },
          { name: 'page.json', data: Buffer.from('{"value":[]}') },
        ]),
      );

      const result = scan(['--db', ':memory:', '--no-progress', '--workers', '2', archive]);

      assert.equal(result.status, 2, result.stderr);
      assert.ok(result.stderr.includes(`  ${archive}/empty.json skipped: the input is empty`));
      assert.ok(result.stderr.includes(`  ${archive}/cut.json.gz: not read: ${CUT_GZIP_REASON}`));
      assert.equal(
        lastLine(result),
        'trustwatch: nothing scanned: 1 of the 3 inputs could not be read and the other 2 ' +
          'inputs contain no records (the summary above says why)',
      );
    });

    it('is 2 for a damaged zip archive beside an empty input', () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
      writeFileSync(join(dir, 'a.json'), '[]');
      const zip = makeZip([{ name: 'events.json', data: Buffer.from('{"value":[]}') }]);
      // Cut inside the only entry's local header, so that no entry can be recovered either.
      writeFileSync(join(dir, 'b.zip'), zip.subarray(0, 36));

      const result = scan(['--db', ':memory:', '--no-progress', dir]);

      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /b\.zip: not read: /);
      assert.equal(
        lastLine(result),
        'trustwatch: nothing scanned: 1 of the 2 inputs could not be read and the other ' +
          'input contains no records (the summary above says why)',
      );
    });

    it('is 2 for empty standard input beside a failed file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
      const gz = cutGzip(dir, 'cut.json.gz');
      const result = scan(['--db', ':memory:', '--no-progress', '-', gz], { input: '' });
      assert.equal(result.status, 2, result.stderr);
      assert.match(lastLine(result) ?? '', /^trustwatch: nothing scanned: 1 of the 2 inputs /);
    });

    it('is 2 when the only record read beside them was rejected', () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
      failedInputs(dir);
      writeFileSync(join(dir, 'empty.json'), '');
      // An input whose every record is rejected gave no record, like one that failed.
      const okta = JSON.parse(readFileSync(OKTA_LOG, 'utf8').split('\n')[0] ?? '');
      writeFileSync(join(dir, 'rejected.json'), JSON.stringify({ ...okta, published: 'today' }));
      const result = scan(['--db', ':memory:', '--no-progress', dir]);

      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /Scanned 5 inputs with \d+ rules: 1 records read, 0 parsed/);
      assert.match(
        result.stderr,
        /rejected\.json \[okta-system-log\] 1 read, 0 parsed, 1 rejected/,
      );
      assert.equal(
        lastLine(result),
        'trustwatch: nothing scanned: 3 of the 5 inputs could not be read, 1 had every record ' +
          'rejected and the other input contains no records (the summary above says why)',
      );
    });

    it('is 0 when a record was parsed beside them', () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
      failedInputs(dir);
      writeFileSync(join(dir, 'empty.json'), '');
      const okta = readFileSync(OKTA_LOG, 'utf8').split('\n')[0] ?? '';
      writeFileSync(join(dir, 'okta.json'), okta);
      const result = scan(['--db', ':memory:', '--no-progress', dir]);

      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /okta\.json \[okta-system-log\] 1 read, 1 parsed, 0 rejected/);
      assert.doesNotMatch(result.stderr, /nothing scanned/);
    });

    it('is 0 when an input failed after its first records', () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
      writeFileSync(join(dir, 'empty.json'), '');
      const text = readFileSync(CASE_LOG);
      writeFileSync(join(dir, 'cut.xml.gz'), gzipSync(text).subarray(0, 6000));
      const result = scan(['--db', ':memory:', '--no-progress', dir]);

      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /cut\.xml\.gz \[windows-xml\] [1-9]\d* read, .*; then failed: /);
      assert.doesNotMatch(result.stderr, /nothing scanned/);
    });

    it('is 0 for empty inputs and a digest file alone', () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
      for (const [name, text] of Object.entries(EMPTY_INPUTS)) writeFileSync(join(dir, name), text);
      writeFileSync(join(dir, 'digest.json'), CLOUDTRAIL_DIGEST);
      const result = scan(['--db', ':memory:', '--no-progress', dir]);

      assert.equal(result.status, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /nothing scanned|not read/);
    });
  });

  it('is 0 for an empty folder, with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-exit-'));
    const result = scan(['--db', ':memory:', '--no-progress', dir]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /folder contains no input files/);
  });
});

describe('exit status of internal errors', () => {
  it('is 3 with the stack', async () => {
    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    let stderr = '';
    process.stdout.write = () => {
      throw new Error('simulated fault');
    };
    process.stderr.write = ((chunk: string) => {
      stderr += chunk;
      return true;
    }) as typeof process.stderr.write;
    let status: number;
    try {
      status = await main(['formats']);
    } finally {
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
    }
    assert.equal(status, 3);
    assert.match(stderr, /^trustwatch: internal error: Error: simulated fault\n/);
    assert.match(stderr, /\n {4}at /);
  });
});
