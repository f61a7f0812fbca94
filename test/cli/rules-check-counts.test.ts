import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const DETECTION = `title: Process start
id: 7a4c2e10-1b7d-4c55-9a0e-4e2f6d8b9c01
logsource: {product: windows, category: process_creation}
detection:
  selection: {Image|endswith: '\\\\whoami.exe'}
  condition: selection
level: low
`;

const BROKEN_DETECTION = `title: Broken condition
logsource: {product: windows}
detection:
  selection: {EventID: 1}
  condition: selection or missing
`;

const BROKEN_CORRELATION = `title: Counts a rule that is not there
correlation:
  type: event_count
  rules: [no_such_rule]
  group-by: [User]
  timespan: 5m
  condition: {gte: 2}
`;

const FILTER = `title: Leave out the backup host
logsource: {product: windows, category: process_creation}
filter:
  rules: [7a4c2e10-1b7d-4c55-9a0e-4e2f6d8b9c01]
  selection: {Computer: BACKUP01}
  condition: not selection
`;

/** Writes a rule folder with one document of each outcome and entries that are not rules. */
function ruleFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-rules-counts-'));
  mkdirSync(join(dir, 'windows'));
  mkdirSync(join(dir, '.github'));
  writeFileSync(join(dir, 'windows', 'process.yml'), DETECTION);
  writeFileSync(join(dir, 'windows', 'broken.yml'), `${BROKEN_DETECTION}---\n---\n`);
  writeFileSync(join(dir, 'windows', 'count.yaml'), BROKEN_CORRELATION);
  writeFileSync(join(dir, 'windows', 'filter.yml'), FILTER);
  writeFileSync(join(dir, 'windows', 'bad-yaml.yml'), 'title: [unclosed\n');
  symlinkSync(join(dir, 'gone.yml'), join(dir, 'windows', 'dangling.yml'));
  writeFileSync(join(dir, 'README.md'), '# rules\n');
  writeFileSync(join(dir, 'LICENSE'), 'license text\n');
  writeFileSync(join(dir, '.hidden.yml'), DETECTION);
  return dir;
}

describe('rules check counts', () => {
  it('counts loaded and failed per kind', () => {
    const dir = ruleFolder();
    const result = runCli(['rules', 'check', '--no-default-rules', dir]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(
      result.stdout,
      /Loaded 2 of 6 rule documents from 6 files: 1 detection rules, 0 correlation rules, 1 filters\./,
    );
    assert.match(result.stdout, /^ {2}detection rules +1 +1$/m);
    assert.match(result.stdout, /^ {2}correlation rules +0 +1$/m);
    assert.match(result.stdout, /^ {2}filters +1 +0$/m);
    assert.match(result.stdout, /^ {2}unreadable or invalid YAML +- +2$/m);
  });

  it('lists skipped entries with the reason', () => {
    const dir = ruleFolder();
    const result = runCli(['rules', 'check', '--no-default-rules', dir]);
    assert.match(result.stdout, /^Skipped 6 entries, not read as rules:$/m);
    assert.match(
      result.stdout,
      /^ {2}not a \.yml or \.yaml file: 2 \(\S+LICENSE, \S+README\.md\)$/m,
    );
    assert.match(
      result.stdout,
      /^ {2}hidden entry \(name starts with a dot\): 2 \(\S+\.github, \S+\.hidden\.yml\)$/m,
    );
    assert.match(
      result.stdout,
      /^ {2}empty YAML document: 2 \(\S+broken\.yml:6, \S+broken\.yml:7\)$/m,
    );
  });

  it('names why each document did not load', () => {
    const dir = ruleFolder();
    const result = runCli(['rules', 'check', '--no-default-rules', dir]);
    assert.match(result.stdout, /4 rule documents not loaded\. Documents per error code:/);
    const notLoaded = result.stdout.split('Not loaded:\n')[1]?.split('\n') ?? [];
    const reasons = notLoaded.filter((line) => line.startsWith('  ')).map((line) => line.trim());
    assert.equal(reasons.length, 4, result.stdout);
    assert.ok(reasons.some((line) => /bad-yaml\.yml:2:1: yaml\./.test(line)));
    assert.ok(reasons.some((line) => /broken\.yml:5:\d+: rule\.undefined_search: /.test(line)));
    assert.ok(reasons.some((line) => /count\.yaml:4:11: correlation\.unknown_rule: /.test(line)));
    assert.ok(reasons.some((line) => /dangling\.yml: rules\.unreadable: .*ENOENT/.test(line)));
    assert.doesNotMatch(result.stdout, /undefined: undefined/);
  });

  it('loads a file reached twice once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-rules-twice-'));
    writeFileSync(join(dir, 'process.yml'), DETECTION);
    symlinkSync(join(dir, 'process.yml'), join(dir, 'same.yml'));
    const result = runCli(['rules', 'check', '--no-default-rules', dir, join(dir, 'process.yml')]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /Loaded 1 of 1 rule documents from 1 files/);
    assert.match(
      result.stdout,
      /^ {2}already listed under another path: 2 \(\S+same\.yml, \S+process\.yml\)$/m,
    );
    assert.doesNotMatch(result.stdout, /duplicate_id/);
  });

  it('walks a self-linked folder once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-rules-loop-'));
    writeFileSync(join(dir, 'process.yml'), DETECTION);
    symlinkSync('.', join(dir, 'a'));
    symlinkSync('.', join(dir, 'b'));
    const result = runCli(['rules', 'check', '--no-default-rules', dir]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /Loaded 1 of 1 rule documents from 1 files/);
    assert.match(result.stdout, /^ {2}already listed under another path: 2 \(\S+a, \S+b\)$/m);
  });

  it('loads the pack named again once', () => {
    const result = runCli(['rules', 'check', 'rules']);
    assert.equal(result.status, 0, result.stdout);
    assert.doesNotMatch(result.stdout, /duplicate_id/);
  });

  it('says nothing was skipped for the shipped pack', () => {
    const result = runCli(['rules', 'check']);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /^ {2}detection rules +\d+ +0$/m);
    assert.match(result.stdout, /^Skipped: nothing\.$/m);
  });
});
