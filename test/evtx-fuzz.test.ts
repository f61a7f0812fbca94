import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/shared.js';

/**
 * Runs scripts/fuzz-evtx.ts on the bundled fixtures in a child process, so that a case that
 * hangs can be stopped and named. The script prints each case before it runs it, and the test
 * stops the child when a case takes longer than the per-case limit plus a margin.
 * EVTX_FUZZ_SEED replays another run.
 */

const ITERATIONS = 4000;
const BUDGET_SECONDS = 50;
const CASE_LIMIT_MS = 2000;
const SEED = process.env.EVTX_FUZZ_SEED ?? '1199';

interface Summary {
  cases: number;
  failures: unknown[];
  slowest_ms: number;
}

describe('evtx fuzzing', () => {
  it('survives mutated files', { timeout: (BUDGET_SECONDS + 30) * 1000 }, async () => {
    const script = join(REPO_ROOT, 'scripts', 'fuzz-evtx.ts');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        script,
        `--iterations=${ITERATIONS}`,
        `--seconds=${BUDGET_SECONDS}`,
        `--seed=${SEED}`,
        `--limit-ms=${CASE_LIMIT_MS}`,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );

    let lastCase = 'none';
    let summary: Summary | undefined;
    let hung = false;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, CASE_LIMIT_MS + 10_000);
    };

    arm();
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    for await (const line of createInterface({ input: child.stdout })) {
      arm();
      const parsed = JSON.parse(line) as { summary?: Summary };
      if (parsed.summary) summary = parsed.summary;
      else lastCase = line;
    }
    const code = await exited;
    clearTimeout(watchdog);

    assert.equal(hung, false, `the fuzz case did not finish: ${lastCase}`);
    assert.ok(summary, `the fuzz script ended without a summary (exit ${code})`);
    assert.deepEqual(summary.failures, []);
    assert.equal(code, 0);
    assert.ok(summary.cases >= 1000, `only ${summary.cases} cases ran in ${BUDGET_SECONDS} s`);
    assert.ok(summary.slowest_ms <= CASE_LIMIT_MS);
  });
});
