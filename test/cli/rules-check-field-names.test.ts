import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

/**
 * `rules check` warns about field names and rule keys that are probably misspelled, naming the
 * file, line, the name and the likely intended one. The rules are in
 * test/fixtures/rules-check/field-names.
 */

const FOLDER = 'test/fixtures/rules-check/field-names';

/** Returns the heads of the problem lines that `rules check` printed, in order. */
function problemLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^\S+:\d+:\d+: (error|warning) /.test(line));
}

function check(...paths: string[]) {
  return runCli(['rules', 'check', '--no-default-rules', ...paths]);
}

describe('rules check field names', () => {
  it('warns about misspelled fields of Linux syslog events', () => {
    const result = check(`${FOLDER}/linux_auth_typos.yml`);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(problemLines(result.stdout), [
      `${FOLDER}/linux_auth_typos.yml:8:5: warning rule.field_unknown: field "acton" is not a known field of product=linux service=auth events; did you mean "action"?`,
      `${FOLDER}/linux_auth_typos.yml:9:5: warning rule.field_unknown: field "usr" is not a known field of product=linux service=auth events; did you mean "user"?`,
      `${FOLDER}/linux_auth_typos.yml:11:5: warning rule.field_unknown: field "trust.pary" is not a known field of product=linux service=auth events; did you mean "trust.party"?`,
    ]);
    assert.match(result.stdout, /^Loaded 1 of 1 rule documents/m);
    assert.match(result.stdout, /^3 warnings\.$/m);
  });

  it('tells a case difference from a misspelling', () => {
    const result = check(`${FOLDER}/windows_security_typos.yml`);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(problemLines(result.stdout), [
      `${FOLDER}/windows_security_typos.yml:8:5: warning rule.field_case: field "EventId" is not a known field of product=windows service=security events, but "EventID" is; field names are case-sensitive, so this matches only events that spell it "EventId"`,
      `${FOLDER}/windows_security_typos.yml:9:5: warning rule.field_unknown: field "LogonTyp" is not a known field of product=windows service=security events; did you mean "LogonType"?`,
      `${FOLDER}/windows_security_typos.yml:11:5: warning rule.field_unknown: field "IpAdress" is not a known field of product=windows service=security events; did you mean "IpAddress"?`,
    ]);
  });

  it('checks fieldref values and process creation names', () => {
    const result = check(`${FOLDER}/windows_process_fieldref.yml`);
    assert.deepEqual(problemLines(result.stdout), [
      `${FOLDER}/windows_process_fieldref.yml:8:21: warning rule.field_unknown: field "ParentImge" is not a known field of product=windows category=process_creation events; did you mean "ParentImage"?`,
      `${FOLDER}/windows_process_fieldref.yml:9:5: warning rule.field_unknown: field "CommandLne" is not a known field of product=windows category=process_creation events; did you mean "CommandLine"?`,
    ]);
  });

  it('corrects the first part of a dotted CloudTrail name', () => {
    const result = check(`${FOLDER}/aws_cloudtrail.yml`);
    assert.deepEqual(problemLines(result.stdout), [
      `${FOLDER}/aws_cloudtrail.yml:8:5: warning rule.field_case: field "eventname" is not a known field of product=aws service=cloudtrail events, but "eventName" is; field names are case-sensitive, so this matches only events that spell it "eventname"`,
      `${FOLDER}/aws_cloudtrail.yml:9:5: warning rule.field_unknown: field "eventSourc" is not a known field of product=aws service=cloudtrail events; did you mean "eventSource"?`,
      `${FOLDER}/aws_cloudtrail.yml:10:5: warning rule.field_case: field "useridentity.type" is not a known field of product=aws service=cloudtrail events, but "userIdentity.type" is; field names are case-sensitive, so this matches only events that spell it "useridentity.type"`,
    ]);
  });

  it('checks only case on events without a field list', () => {
    // Ntfs event 98 is not among the events whose fields are listed, so DeviceName passes, and
    // only the case of a System field is checked.
    const result = check(`${FOLDER}/windows_unlisted_event.yml`);
    assert.deepEqual(problemLines(result.stdout), [
      `${FOLDER}/windows_unlisted_event.yml:11:5: warning rule.field_case: field "channel" is not a known field of product=windows service=system events, but "Channel" is; field names are case-sensitive, so this matches only events that spell it "channel"`,
    ]);
  });

  it('leaves sources without a field list alone', () => {
    const result = check(`${FOLDER}/okta_unlisted.yml`);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(problemLines(result.stdout), []);
  });

  it('warns about misspelled keys and keeps custom ones', () => {
    const result = check(`${FOLDER}/top_level_keys.yml`);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(problemLines(result.stdout), [
      `${FOLDER}/top_level_keys.yml:3:1: warning rule.misspelled_key: top-level key "tag" is not a Sigma rule attribute; did you mean "tags"? It is kept as a custom attribute and not evaluated`,
      `${FOLDER}/top_level_keys.yml:9:13: warning rule.unknown_logsource_key: logsource key "categroy" is not product, service, category or definition; did you mean "category"?`,
      `${FOLDER}/top_level_keys.yml:10:1: warning rule.misspelled_key: top-level key "detecton" is not a Sigma rule attribute; did you mean "detection"? It is kept as a custom attribute and not evaluated`,
    ]);
  });

  it('reports nothing with --no-warnings', () => {
    const result = runCli(['rules', 'check', '--no-default-rules', '--no-warnings', FOLDER]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(problemLines(result.stdout), []);
    assert.match(result.stdout, /^15 warnings\.$/m);
  });

  it('leaves the shipped pack without warnings', () => {
    const result = runCli(['rules', 'check']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(problemLines(result.stdout), []);
    assert.doesNotMatch(result.stdout, /warnings\./);
  });
});
