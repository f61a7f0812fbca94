import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAlerts, runCli } from './helpers/cli.js';
import { hasShared, SHARED_ROOT } from './helpers/shared.js';

/**
 * Runs the CLI on every labelled case of the shared scenario suite for the analytics trustwatch
 * implements, and compares with expected.json under the suite's matching rule: analytic, party
 * and actor equal, and for every step at least one of the labelled records cited. A case is
 * skipped, naming the file, while one of its log files has no input format, because its alerts
 * cannot be judged then.
 */

const IMPLEMENTED = new Set(['AN1344', 'AN1345', 'AN1346', 'AN1347', 'AN1348', 'AN1349', 'AN1350']);

/** Inputs the scan skipped because no format matches them, from its summary on stderr. */
function unreadInputs(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.includes(': not read: no known format matches'))
    .map((line) => line.trim().split(': not read:')[0] as string);
}

interface ExpectedAlert {
  analytic: string;
  party: string;
  actor: string;
  evidence: { step: number; file: string; record: number }[];
}

interface Alert {
  analytic?: string;
  party?: string;
  actor?: string;
  evidence?: { step: number; file: string; record: number }[];
}

function matches(expected: ExpectedAlert, actual: Alert): boolean {
  const same = (a: unknown, b: unknown) =>
    String(a ?? '').toLowerCase() === String(b ?? '').toLowerCase();
  if (
    !same(actual.analytic, expected.analytic) ||
    !same(actual.party, expected.party) ||
    !same(actual.actor, expected.actor)
  ) {
    return false;
  }
  const cited = new Set((actual.evidence ?? []).map((item) => `${item.file}#${item.record}`));
  const steps = new Map<number, string[]>();
  for (const item of expected.evidence)
    steps.set(item.step, [...(steps.get(item.step) ?? []), `${item.file}#${item.record}`]);
  return [...steps.values()].every((keys) => keys.some((key) => cited.has(key)));
}

const root = join(SHARED_ROOT, 'scenarios');
const cases = hasShared('scenarios')
  ? readdirSync(root).filter((name) => existsSync(join(root, name, 'expected.json')))
  : [];

describe('shared scenarios', () => {
  if (cases.length === 0) {
    it('needs the shared scenario suite', (t) => t.skip(`not present: ${root}`));
    return;
  }
  for (const name of cases.sort()) {
    const analytic = (/an13\d\d/i.exec(name)?.[0] ?? '').toUpperCase();
    if (!IMPLEMENTED.has(analytic)) continue;
    it(`${name} gives exactly the labelled alerts`, (t) => {
      const dir = join(root, name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
        alerts: ExpectedAlert[];
      };
      const result = runCli(
        ['scan', '--context', 'trustwatch.yaml', '--output', 'ndjson', '--db', ':memory:', 'logs'],
        { cwd: dir },
      );
      assert.equal(result.status, 0, result.stderr);
      const unread = unreadInputs(result.stderr);
      if (unread.length > 0) {
        t.skip(`no input format reads ${unread.join(', ')} yet`);
        return;
      }
      const alerts = (parseAlerts(result.stdout) as Alert[]).filter(
        (alert) => alert.analytic === analytic,
      );
      const unmatched = [...alerts];
      for (const want of expected.alerts) {
        const index = unmatched.findIndex((alert) => matches(want, alert));
        assert.ok(
          index >= 0,
          `missing alert for ${want.party} / ${want.actor}; got ${JSON.stringify(alerts).slice(0, 600)}`,
        );
        unmatched.splice(index, 1);
      }
      assert.deepEqual(unmatched, [], 'alerts beyond the labelled ones');
    });
  }
});
