import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

/**
 * `rules check` rejects correlation counts that are negative, fractional or can never be met,
 * and windows of zero or less, with the file, line and value. The rules are in
 * test/fixtures/rules-check/thresholds.
 */

const FOLDER = 'test/fixtures/rules-check/thresholds';

function problemLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^\S+:\d+:\d+: (error|warning) /.test(line));
}

describe('rules check thresholds', () => {
  it('rejects impossible counts and windows', () => {
    const result = runCli(['rules', 'check', '--no-default-rules', FOLDER]);
    assert.equal(result.status, 2, result.stderr);
    assert.deepEqual(problemLines(result.stdout), [
      `${FOLDER}/chain.yml:10:15: error correlation.invalid_within: within "0m" is zero; it must be longer than zero`,
      `${FOLDER}/chain.yml:11:13: error correlation.invalid_lead: lead "-1s" is negative; it must be longer than zero`,
      `${FOLDER}/chain.yml:12:26: error correlation.invalid_threshold: threshold count must be a whole number of at least 1, not 0`,
      `${FOLDER}/chain.yml:12:37: error correlation.invalid_threshold: threshold window "-15m" is negative; it must be longer than zero`,
      `${FOLDER}/counts.yml:9:10: error correlation.invalid_condition: gte: -5 is negative, but a count never is`,
      `${FOLDER}/counts.yml:18:19: error correlation.invalid_condition: gt: -1 is negative, but a count never is`,
      `${FOLDER}/counts.yml:27:3: error correlation.unsatisfiable_condition: {lte: 0} can never be met: a count is at least 1`,
      `${FOLDER}/counts.yml:36:3: error correlation.unsatisfiable_condition: {eq: 0} can never be met: a count is at least 1`,
      `${FOLDER}/counts.yml:45:3: error correlation.unsatisfiable_condition: {gt: 5, lt: 3} can never be met: no count meets all of these bounds`,
      `${FOLDER}/counts.yml:54:20: error correlation.invalid_condition: gte: 1.5 is not a whole number, but a count always is`,
      `${FOLDER}/counts.yml:63:20: error correlation.invalid_condition: gte must be a whole number, not "many"`,
      `${FOLDER}/counts.yml:73:3: error correlation.unsatisfiable_condition: {gte: 3} can never be met: temporal counts the distinct rules that matched, at most the 2 listed`,
      `${FOLDER}/counts.yml:81:13: error correlation.invalid_timespan: timespan "0s" is zero; it must be longer than zero`,
      `${FOLDER}/counts.yml:91:3: error correlation.unsatisfiable_condition: {lt: 1} can never be met: a count is at least 1`,
    ]);
  });

  it('loads the correlation whose bounds some count meets', () => {
    const result = runCli(['rules', 'check', '--no-default-rules', FOLDER]);
    assert.match(
      result.stdout,
      /^Loaded 3 of 14 rule documents from 3 files: 2 detection rules, 1 correlation rules, 0 filters\.$/m,
    );
    assert.doesNotMatch(result.stdout, /Valid bounds/);
  });

  it('leaves out a negative threshold in a scan', () => {
    const result = runCli([
      'scan',
      '--no-default-rules',
      '--rules',
      FOLDER,
      '--db',
      ':memory:',
      '--output',
      'ndjson',
      'test/fixtures/linux/beats-auth-test.log',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /counts\.yml:9:10: error correlation\.invalid_condition: gte: -5/);
    assert.doesNotMatch(result.stdout, /Negative lower bound/);
  });
});
