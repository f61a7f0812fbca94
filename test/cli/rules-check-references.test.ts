import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

/**
 * `rules check` reports a correlation's, chain's or filter's references to rules that are
 * missing or did not load in the same run as the document's other errors, at the line that
 * names the rule. The rules are in test/fixtures/rules-check/references.
 */

const FOLDER = 'test/fixtures/rules-check/references';

function problemLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^\S+:\d+:\d+: (error|warning) /.test(line));
}

describe('rules check references', () => {
  it('reports missing rules with the other errors', () => {
    const result = runCli(['rules', 'check', '--no-default-rules', FOLDER]);
    assert.equal(result.status, 2, result.stderr);
    assert.deepEqual(problemLines(result.stdout), [
      `${FOLDER}/chain.yml:12:19: error correlation.unknown_rule: chain "Login, then root, then a missing step rule" refers to rule "sudo_rot", but no loaded rule has that id or name; did you mean "sudo_root"?`,
      `${FOLDER}/chain.yml:15:15: error correlation.unknown_rule: chain "Login, then root, then a missing step rule" refers to rule "no_observer", but no loaded rule has that id or name`,
      `${FOLDER}/correlations.yml:8:7: error correlation.unknown_rule: correlation "Many problems in one correlation" refers to rule "ssh_logn", but no loaded rule has that id or name; did you mean "ssh_login"?`,
      `${FOLDER}/correlations.yml:9:7: error correlation.unknown_rule: correlation "Many problems in one correlation" refers to rule "no_such_rule", but no loaded rule has that id or name`,
      `${FOLDER}/correlations.yml:12:13: error correlation.invalid_timespan: timespan "-5m" is negative; it must be longer than zero`,
      `${FOLDER}/correlations.yml:15:8: error rule.invalid_level: level "extreme" is not one of informational, low, medium, high, critical`,
      `${FOLDER}/correlations.yml:22:22: error correlation.rule_not_loaded: correlation "Login then sudo" refers to rule "sudo_root", which is not loaded because of its own errors (${FOLDER}/detections.yml:24:8)`,
      `${FOLDER}/correlations.yml:31:11: error correlation.rule_not_loaded: correlation "Counts a correlation that did not load" refers to rule "login_then_sudo", which is not loaded because of its own errors (${FOLDER}/correlations.yml:22:22)`,
      `${FOLDER}/detections.yml:24:8: error rule.invalid_level: level "severe" is not one of informational, low, medium, high, critical`,
      `${FOLDER}/filter.yml:9:7: warning filter.unknown_rule: filter "Leave out the jump host" names rule "ssh_loggin", which is not loaded`,
    ]);
  });

  it('names each document that did not load', () => {
    const result = runCli(['rules', 'check', '--no-default-rules', FOLDER]);
    assert.match(
      result.stdout,
      /^Loaded 2 of 7 rule documents from 4 files: 1 detection rules, 0 correlation rules, 1 filters\.$/m,
    );
    assert.match(result.stdout, /^ {2}correlation rules +0 +4$/m);
    assert.match(result.stdout, /^ {2}correlation\.rule_not_loaded: 2$/m);
    assert.match(
      result.stdout,
      /^ {2}\S+correlations\.yml:8:7: correlation\.unknown_rule: .*"ssh_logn".* \(and 3 more\)$/m,
    );
  });

  it('keeps alerts of rules that only failed correlations use', () => {
    // ssh_login is counted by correlations that did not load, so it still raises its own alerts.
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
    assert.match(result.stderr, /^9 rule problems: those rules are not loaded/m);
    assert.match(result.stdout, /"title":"SSH login"/);
  });
});
