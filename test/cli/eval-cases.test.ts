import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, unprivileged } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

const CASES = join(REPO_ROOT, 'test/cases');
const ATTACK = join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain');
const BENIGN = join(CASES, 'an1344-rmm-normal-day');

/** Copies cases into a fresh folder that user nobody can read, and returns the folder. */
function copyCases(cases: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-eval-cases-'));
  chmodSync(dir, 0o755);
  for (const [name, from] of Object.entries(cases))
    cpSync(from, join(dir, name), { recursive: true });
  return dir;
}

describe('eval of broken cases', () => {
  it('fails a case whose labels are invalid JSON', () => {
    const dir = copyCases({ 'an1344-good': ATTACK, 'an1344-broken': ATTACK });
    writeFileSync(join(dir, 'an1344-broken', 'expected.json'), '{"alerts": [');
    const result = runCli(['eval', dir]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /^FAIL an1344-broken \(unknown, AN1344\): /m);
    assert.match(
      result.stdout,
      /case failed: \S+an1344-broken\/expected\.json:1:13: invalid JSON: /,
      result.stdout,
    );
    assert.match(result.stdout, /2 cases, 1 differ from their labels/);
    assert.doesNotMatch(result.stdout, /FAIL an1344-good/);
  });

  it('locates a JSON error inside the labels', () => {
    const dir = copyCases({ 'vendor-case': ATTACK });
    const labels = '{\n  "kind": "attack",\n  "alerts": [\n    {"analytic": "AN1344",}\n  ]\n}\n';
    writeFileSync(join(dir, 'vendor-case', 'expected.json'), labels);
    const result = runCli(['eval', dir]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /^FAIL vendor-case \(unknown\): /m);
    assert.match(result.stdout, /case failed: \S+vendor-case\/expected\.json:4:27: invalid JSON: /);
  });

  it('fails a case whose labels have the wrong shape', () => {
    const dir = copyCases({ 'an1344-shape': ATTACK });
    writeFileSync(
      join(dir, 'an1344-shape', 'expected.json'),
      JSON.stringify({
        kind: 'attack',
        alerts: [{ analytic: 'AN1344', party: 'Acme', evidence: [{ step: 'one' }] }],
      }),
    );
    const result = runCli(['eval', dir]);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /alerts\[0\]\.actor must be a string/);

    writeFileSync(join(dir, 'an1344-shape', 'expected.json'), '{"alerts": {}}');
    const notList = runCli(['eval', dir]);
    assert.equal(notList.status, 1);
    assert.match(notList.stdout, /expected\.json: alerts must be a list/);
  });

  it('fails a case with an invalid context file', () => {
    const dir = copyCases({ 'an1344-context': ATTACK });
    writeFileSync(join(dir, 'an1344-context', 'trustwatch.yaml'), 'parties: [\n');
    const result = runCli(['eval', dir]);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^FAIL an1344-context /m);
    assert.match(result.stdout, /case failed: invalid context file/);
    assert.match(result.stdout, /an1344-context\/trustwatch\.yaml:2:1: error yaml\./);
  });

  it('fails a case with a log no format reads', () => {
    const dir = copyCases({ 'an1344-garbage': ATTACK });
    writeFileSync(join(dir, 'an1344-garbage', 'logs', 'notes.txt'), 'not a log at all\n');
    const result = runCli(['eval', dir]);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /case failed: logs\/notes\.txt: not read: /);
  });

  it('fails a case with rejected records', () => {
    const dir = copyCases({ 'an1344-rejected': ATTACK });
    writeFileSync(
      join(dir, 'an1344-rejected', 'logs', 'extra.json'),
      '{"EventID": 4624, "Channel": "Security", "Hostname": "APP01"}\n',
    );
    const result = runCli(['eval', dir]);
    assert.equal(result.status, 1);
    assert.match(
      result.stdout,
      /case failed: logs\/extra\.json: 1 of 1 records rejected \(invalid_time 1\)/,
    );
  });

  it('passes a case whose export ends with a summary', () => {
    const dir = copyCases({ 'an1346-trailer': join(CASES, 'an1346-ndjson-trailer-dscl') });
    const log = join(dir, 'an1346-trailer', 'logs', 'mbp-fin-09-unifiedlog.ndjson');
    const summary = /\{[^{}]*"finished":\s*1\}\s*$/.test(readFileSync(log, 'utf8'));
    assert.ok(summary, 'the export does not end with the log show summary');
    const result = runCli(['eval', dir]);
    assert.equal(result.status, 0, result.stdout);
    assert.doesNotMatch(result.stdout, /case failed/);
    assert.match(result.stdout, /1 cases, 0 differ from their labels/);
  });

  it('fails a case whose files it may not read', (t) => {
    const user = unprivileged(t);
    if (!user) return;
    const dir = copyCases({ 'an1344-labels': ATTACK, 'an1344-logs': ATTACK, 'an1344-ok': ATTACK });
    chmodSync(join(dir, 'an1344-labels', 'expected.json'), 0o000);
    chmodSync(join(dir, 'an1344-logs', 'logs', 'app01-security.xml'), 0o000);
    const result = runCli(['eval', dir], user === 'self' ? {} : { user });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /an1344-labels\/expected\.json: cannot read the labels: EACCES/);
    assert.match(result.stdout, /case failed: logs\/app01-security\.xml: not read: EACCES/);
    assert.match(result.stdout, /3 cases, 2 differ from their labels/);
  });

  it('exits 2 for a path without cases', () => {
    const empty = mkdtempSync(join(tmpdir(), 'trustwatch-eval-cases-'));
    mkdirSync(join(empty, 'not-a-case'));
    const none = runCli(['eval', empty]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /: no case folder here: a case is a folder with expected\.json/);

    const missing = runCli(['eval', join(empty, 'gone')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /gone: case folder not found/);
  });
});

describe('eval scores', () => {
  it('ignores suppressed alerts', () => {
    const dir = copyCases({ 'an1344-allowed': ATTACK });
    const context = join(dir, 'an1344-allowed', 'trustwatch.yaml');
    writeFileSync(
      context,
      `${readFileSync(context, 'utf8').trimEnd()}\nallow:\n  - reason: approved change\n    party: Acme IT Services\n`,
    );
    writeFileSync(
      join(dir, 'an1344-allowed', 'expected.json'),
      JSON.stringify({ analytic: 'AN1344', kind: 'benign', alerts: [] }),
    );
    const result = runCli(['eval', dir]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /^AN1344 +1 +0 +0 +0 +n\/a +n\/a$/m);

    const labelled = copyCases({ 'an1344-allowed': join(dir, 'an1344-allowed') });
    cpSync(join(ATTACK, 'expected.json'), join(labelled, 'an1344-allowed', 'expected.json'));
    const missed = runCli(['eval', labelled]);
    assert.equal(missed.status, 1, missed.stdout);
    assert.match(missed.stdout, /missed Acme IT Services \/ CONTOSO\\acme-jlee: no AN1344 alert/);
  });

  it('shows n/a without positives', () => {
    const result = runCli(['eval', BENIGN]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /^AN1344 +1 +0 +0 +0 +n\/a +n\/a$/m);
  });

  it('shows n/a precision when only misses', () => {
    const dir = copyCases({ 'an1344-missed': ATTACK });
    const result = runCli(['eval', '--no-default-rules', '--rules', 'rules/third-party', dir]);
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stdout, /^AN1344 +1 +0 +0 +1 +n\/a +0\.00$/m);
  });
});
