import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';

const CASES = join(REPO_ROOT, 'test/cases');

describe('trustwatch eval', () => {
  it('scores the repository cases at precision and recall 1.0', () => {
    const result = runCli(['eval', CASES]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /^AN1344 +6 +2 +0 +0 +1\.00 +1\.00$/m);
    assert.match(result.stdout, /^AN1345 +6 +3 +0 +0 +1\.00 +1\.00$/m);
    assert.match(result.stdout, /^AN1346 +3 +3 +0 +0 +1\.00 +1\.00$/m);
    assert.match(result.stdout, /15 cases, 0 differ from their labels/);
  });

  it('says why a label is missed and an alert is extra', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-eval-'));
    cpSync(join(CASES, 'an1344-party-wmic-node'), join(dir, 'wrong-actor'), { recursive: true });
    const expectedFile = join(dir, 'wrong-actor/expected.json');
    const expected = JSON.parse(readFileSync(expectedFile, 'utf8'));
    expected.alerts[0].actor = 'CONTOSO\\acme-someone-else';
    writeFileSync(expectedFile, JSON.stringify(expected));
    const result = runCli(['eval', dir]);
    assert.equal(result.status, 1);
    assert.match(
      result.stdout,
      /FAIL wrong-actor \(attack, AN1344\): 0 matched, 1 missed, 1 extra/,
    );
    assert.match(
      result.stdout,
      /missed Acme IT Services \/ CONTOSO\\acme-someone-else: nearest alert: actor "CONTOSO\\acme-dmorris" is not "CONTOSO\\acme-someone-else"/,
    );
    assert.match(result.stdout, /^AN1344 +1 +0 +1 +1 +0\.00 +0\.00$/m);
  });
});
