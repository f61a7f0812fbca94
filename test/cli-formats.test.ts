import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';

describe('trustwatch formats', () => {
  it('lists the Linux and AWS formats', () => {
    const result = runCli(['formats']);
    assert.equal(result.status, 0, result.stderr);
    const names = result.stdout.split('\n').map((line) => line.split(/\s+/)[0]);
    for (const name of [
      'linux-syslog',
      'journald-json',
      'linux-auditd',
      'log-analytics-syslog',
      'aws-cloudtrail',
      'aws-cloudtrail-digest',
    ]) {
      assert.ok(names.includes(name), `${name} missing from:\n${result.stdout}`);
    }
  });
});
