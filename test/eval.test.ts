import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/shared.js';

const CASES = join(REPO_ROOT, 'test/cases');

/** Cases and labelled alerts per analytic, read from the cases' expected.json files. */
function labelTotals(): { cases: number; byAnalytic: Map<string, [number, number]> } {
  const names = readdirSync(CASES).filter((name) => existsSync(join(CASES, name, 'expected.json')));
  const byAnalytic = new Map<string, [number, number]>();
  for (const name of names) {
    const expected = JSON.parse(readFileSync(join(CASES, name, 'expected.json'), 'utf8')) as {
      analytic: string;
      alerts: unknown[];
    };
    const [cases, alerts] = byAnalytic.get(expected.analytic) ?? [0, 0];
    byAnalytic.set(expected.analytic, [cases + 1, alerts + expected.alerts.length]);
  }
  return { cases: names.length, byAnalytic };
}

describe('trustwatch eval', () => {
  it('scores the repository cases at precision and recall 1.0', () => {
    const totals = labelTotals();
    const result = runCli(['eval', CASES]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, new RegExp(`${totals.cases} cases, 0 differ from their labels`));
    for (const [analytic, [cases, alerts]] of totals.byAnalytic) {
      const score = alerts > 0 ? '1\\.00' : 'n/a';
      const row = `^${analytic} +${cases} +${alerts} +0 +0 +${score} +${score}$`;
      assert.match(result.stdout, new RegExp(row, 'm'), `row of ${analytic}`);
    }
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
