import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ParsedInput, parsePaths } from '../helpers/read-inputs.js';
import { sharedPath } from '../helpers/shared.js';

/**
 * Every record of the shared corpus's Linux and CloudTrail files, counted exactly: events made,
 * records that went into them, and rejections with their lines and reasons.
 */

function byName(parsed: ParsedInput[], name: string): ParsedInput {
  const found = parsed.find((input) => input.path.endsWith(name));
  assert.ok(found, `${name} was not read`);
  return found;
}

describe('shared Linux corpus', () => {
  it('parses every line of the syslog and audit files', async (t) => {
    const root = sharedPath(t, 'corpus', 'linux');
    if (!root) return;
    const parsed = await parsePaths([root], { syslog: { year: 2024, timezone: 'UTC' } });
    const expected: [string, string, number, number][] = [
      ['elastic-beats-auth/test.log', 'linux-syslog', 10, 10],
      ['elastic-beats-auth/timestamp.log', 'linux-syslog', 2, 2],
      ['elastic-integrations/test-auth.log', 'linux-syslog', 12, 12],
      ['otrf/sh_arp_cache_2020-11-10074812.log', 'linux-auditd', 2, 12],
      ['otrf/sh_binary_padding_dd_2020-11-10081941.log', 'linux-auditd', 1, 6],
      [
        'otrf/syslog_auoms_auditd_log4shell_cve2021_44228_jndi_reference_2022-05-11181020.json',
        'log-analytics-syslog',
        50,
        50,
      ],
    ];
    for (const [name, format, events, records] of expected) {
      const input = byName(parsed, name);
      assert.equal(input.format, format, name);
      assert.equal(input.events.length, events, name);
      assert.equal(input.records, records, name);
      assert.deepEqual(input.rejections, [], name);
    }
    const elastic = byName(parsed, 'elastic-integrations/test-auth.log');
    assert.deepEqual(elastic.events.map((event) => event.fields.action ?? null).slice(10), [
      'ssh_pam_failure',
      'pam_auth_failure',
    ]);
    const auoms = byName(
      parsed,
      'syslog_auoms_auditd_log4shell_cve2021_44228_jndi_reference_2022-05-11181020.json',
    );
    assert.ok(auoms.events.every((event) => event.fields.type === 'AUOMS_EXECVE'));
    assert.ok(auoms.events.every((event) => event.core.host === 'UBUNTU5'));
  });
});

describe('shared CloudTrail corpus', () => {
  it('parses all 2,900 records of the Invictus delivery files', async (t) => {
    const root = sharedPath(t, 'corpus', 'aws-cloudtrail', 'invictus-aws-dataset');
    if (!root) return;
    const parsed = (await parsePaths([root])).filter((input) => input.path.endsWith('.json'));
    assert.equal(parsed.length, 55);
    assert.ok(parsed.every((input) => input.format === 'aws-cloudtrail'));
    assert.equal(
      parsed.reduce((sum, input) => sum + input.events.length, 0),
      2900,
    );
    assert.deepEqual(
      parsed.flatMap((input) => input.rejections),
      [],
    );
    const assumeRoles = parsed
      .flatMap((input) => input.events)
      .filter((event) => event.fields.eventName === 'AssumeRole');
    assert.equal(assumeRoles.length, 49);
  });

  it('parses the OTRF Logstash records by @timestamp', async (t) => {
    const file = sharedPath(
      t,
      'corpus',
      'aws-cloudtrail',
      'otrf',
      'ec2_proxy_s3_exfiltration_2020-09-14011940.json',
    );
    if (!file) return;
    const [parsed] = await parsePaths([file]);
    assert.equal(parsed?.format, 'aws-cloudtrail');
    assert.equal(parsed?.events.length, 103);
    assert.deepEqual(parsed?.rejections, []);
    assert.ok(parsed?.events.every((event) => Number.isFinite(event.time)));
  });

  it('rejects Panther records without a time', async (t) => {
    const file = sharedPath(
      t,
      join('corpus', 'aws-cloudtrail', 'panther-analysis', 'panther-cloudtrail-records.ndjson'),
    );
    if (!file) return;
    const [parsed] = await parsePaths([file]);
    assert.equal(parsed?.format, 'aws-cloudtrail');
    assert.equal(parsed?.events.length, 431);
    // Hand-written partial test events: no eventTime at all, "redacted" or "...", or no eventName.
    assert.deepEqual(
      parsed?.rejections.map((rejection) => [rejection.origin.line, rejection.code]),
      [
        ...[34, 35, 36, 37, 88, 313, 318, 319, 377, 378, 379, 380, 381, 431, 437, 439].map(
          (line) => [line, 'invalid_time'],
        ),
        [446, 'unexpected_shape'],
        [447, 'unexpected_shape'],
        [449, 'unexpected_shape'],
      ],
    );
  });
});
