import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAlerts, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * Scans the README's quick start (bundled real Windows logs, the example context, the pack) with
 * the built CLI, because worker threads run the compiled modules.
 */
function scan(workers: number): { alerts: Record<string, unknown>[]; stderr: string } {
  const result = runCli([
    'scan',
    '--context',
    join(REPO_ROOT, 'examples/trustwatch.yaml'),
    '--db',
    ':memory:',
    '--no-progress',
    '--output',
    'ndjson',
    '--workers',
    String(workers),
    join(REPO_ROOT, 'examples/logs'),
    join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/logs'),
  ]);
  assert.equal(result.status, 0, result.stderr);
  return { alerts: parseAlerts(result.stdout), stderr: result.stderr };
}

/** Returns the thread count that a scan of `paths` logs, `--workers` given or not. */
function threadsStarted(paths: readonly string[], workers?: number): number {
  const result = runCli([
    'scan',
    '--db',
    ':memory:',
    '--no-progress',
    '--log-level',
    'debug',
    ...(workers === undefined ? [] : ['--workers', String(workers)]),
    ...paths,
  ]);
  assert.equal(result.status, 0, result.stderr);
  const logged = /worker threads started count=(\d+)/.exec(result.stderr);
  assert.ok(logged, result.stderr);
  return Number(logged[1]);
}

/** Returns the scan summary's counts, without its duration and speed. */
/**
 * Returns the summary lines that threads do not change. The rule evaluation count is left to
 * its number of events: each thread reuses the verdicts of the events it saw, so how many rules
 * ran depends on how the events were shared out.
 */
function summaryLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => /^(Scanned|Rule evaluations|Alerts)/.test(line))
    .map((line) => line.replace(/ \([^)]*records\/s\)/, ''))
    .map((line) =>
      line.replace(/^Rule evaluations: \d+ for (\d+) events.*$/, 'Rule evaluations for $1 events'),
    );
}

describe('scan with worker threads', () => {
  it('starts threads only for inputs they can read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-threads-'));
    copyFileSync(
      join(REPO_ROOT, 'examples/scenario-an1344-rdp-msp-chain/logs/app01-security.xml'),
      join(dir, 'app01-security.xml'),
    );
    for (let index = 0; index < 6; index++) {
      writeFileSync(join(dir, `notes-${index}.txt`), 'not a log\n');
    }

    assert.equal(threadsStarted([dir], 4), 1);
    assert.equal(threadsStarted([join(REPO_ROOT, 'examples/logs')], 3), 3);
  });

  it('starts no threads for small inputs by default', () => {
    assert.equal(threadsStarted([join(REPO_ROOT, 'examples/logs')]), 0);
  });

  it('raises the same alerts as one thread', () => {
    const single = scan(1);
    assert.equal(single.alerts.length, 13);
    assert.ok(!single.stderr.includes('worker thread failed'));

    for (const workers of [2, 3]) {
      const many = scan(workers);
      assert.ok(!many.stderr.includes('worker thread failed'), many.stderr);
      assert.deepEqual(many.alerts, single.alerts, `${workers} workers`);
      assert.deepEqual(summaryLines(many.stderr), summaryLines(single.stderr));
      assert.equal(summaryLines(many.stderr).length, 3);
    }
  });
});
