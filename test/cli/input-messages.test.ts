import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAlerts, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

const CASE = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain');
const CASE_LOG = join(CASE, 'logs/app01-security.xml');

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-messages-'));
}

/** Encodes text as UTF-16LE with a byte order mark, as Out-File of Windows PowerShell 5.1 writes it. */
function utf16(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

function scan(args: string[]) {
  return runCli(['scan', '--db', ':memory:', '--no-progress', '--output', 'ndjson', ...args]);
}

describe('scan option and input messages', () => {
  it('names invalid --status values', () => {
    const result = scan(['--status', 'bogus,stable', '--status', 'Nope', CASE_LOG]);
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      'trustwatch: --status must be one of stable, test, experimental, deprecated, unsupported, unknown, not "bogus", "Nope"\n',
    );
  });

  it('accepts every documented status', () => {
    const statuses = 'stable,test,experimental,deprecated,unsupported,UNKNOWN';
    const result = scan(['--status', statuses, CASE_LOG]);
    assert.equal(result.status, 0, result.stderr);
  });

  it('reads an empty JSON array as no records', () => {
    const dir = temp();
    const page = join(dir, 'page.json');
    writeFileSync(page, '[ ]\n');
    const result = scan([page]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /Scanned 1 inputs with \d+ rules: 0 records read/);
    assert.ok(
      result.stderr.includes(
        `  ${page} skipped: an empty JSON array (an export or API page without records): 0 records\n`,
      ),
      result.stderr,
    );
    assert.doesNotMatch(result.stderr, /no known format/);
  });

  it('names a blank input', () => {
    const dir = temp();
    const blank = join(dir, 'blank.json');
    writeFileSync(blank, '\n   \n\t\n');
    const result = scan([blank]);
    assert.ok(
      result.stderr.includes(`  ${blank} skipped: the input contains only whitespace: 0 records\n`),
      result.stderr,
    );
  });

  it('counts one rule problem in the singular', () => {
    const dir = temp();
    writeFileSync(
      join(dir, 'bad.yml'),
      'title: t\nid: 6f1d2c3e-0000-4000-8000-0000000000aa\nlogsource: {product: windows}\ndetection:\n  s: {a|bogus: 1}\n  condition: s\n',
    );
    const result = scan(['--rules', dir, CASE_LOG]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /^1 rule problem: those rules are not loaded/m);
  });
});

describe('UTF-16 context and rule files', () => {
  it('reads a UTF-16 context file', () => {
    const dir = temp();
    const context = join(dir, 'trustwatch.yaml');
    writeFileSync(context, utf16(readFileSync(join(CASE, 'trustwatch.yaml'), 'utf8')));
    const result = scan(['--context', context, CASE_LOG]);
    assert.equal(result.status, 0, result.stderr);
    const parties = parseAlerts(result.stdout).map((alert) => alert.party);
    assert.deepEqual(parties, ['Acme IT Services', 'Acme IT Services', 'Acme IT Services']);
  });

  it('reads a UTF-16 rule file', () => {
    const dir = temp();
    const source = join(REPO_ROOT, 'rules/third-party/win_third_party_logon_out_of_scope.yml');
    writeFileSync(join(dir, 'rule.yml'), utf16(readFileSync(source, 'utf8')));
    const result = runCli(['rules', 'check', '--no-default-rules', dir]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /^Loaded 1 of 1 rule documents from 1 files: 1 detection rules/m);
  });
});
