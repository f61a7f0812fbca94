import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceAccountProject } from '../../src/sources/gcp/audit-log.js';
import { parseInput, TEST_SETTINGS } from '../helpers/parse.js';
import { fixturePath, sharedPath } from '../helpers/shared.js';

describe('gcp-audit source', () => {
  it('reads Cloud Audit Log entries', async () => {
    const parsed = await parseInput(fixturePath('gcp', 'panther-auditlog.ndjson'));
    assert.equal(parsed.format, 'gcp-audit');
    assert.equal(parsed.events.length, 3);
    assert.deepEqual(
      parsed.rejections.map((rejection) => [rejection.code, rejection.origin.record]),
      [['invalid_time', 4]],
    );
    const run = parsed.events[2];
    assert.deepEqual(run?.logsource, { product: 'gcp', service: 'gcp.audit' });
    assert.equal(run?.core.actor, 'some.user@company.com');
    assert.equal(run?.core.action, 'google.cloud.run.v1.Services.CreateService');
  });

  it('gives lower-case keys their standard names', async () => {
    const parsed = await parseInput(fixturePath('gcp', 'panther-auditlog.ndjson'));
    const bigquery = parsed.events[1];
    assert.equal(bigquery?.fields.insertid, 'ABCDEFGHIJKL');
    assert.equal(bigquery?.fields.insertId, 'ABCDEFGHIJKL');
    assert.equal(typeof bigquery?.fields.logName, 'string');
    assert.equal(bigquery?.core.actor, 'user@company.io');
    assert.equal(bigquery?.core.srcIp, '1.2.3.4');
  });

  it('parses a partial entry without a time only when asked', async () => {
    const parsed = await parseInput(fixturePath('gcp', 'panther-auditlog.ndjson'), undefined, {
      ...TEST_SETTINGS,
      missingTime: 'input_time',
    });
    const partial = parsed.events[3];
    assert.equal(partial?.core.action, 'v1.compute.firewalls.patch');
    assert.equal(partial?.timeText, '');
  });

  it('names the caller service account project', async (t) => {
    const path = sharedPath(
      t,
      'corpus',
      'gcp',
      'elastic-integrations',
      'test-iamcredentials-googleapis-com.log',
    );
    if (!path) return;
    const parsed = await parseInput(path);
    const event = parsed.events[0];
    assert.equal(event?.core.action, 'GenerateAccessToken');
    assert.deepEqual(event?.core.identities, [
      'made-up-ci-account@project-id.iam.gserviceaccount.com',
    ]);
    assert.equal(event?.core.srcIp, '175.16.199.45');
    assert.equal(event?.time, Date.parse('2024-11-19T00:49:55.293Z'));
  });
});

describe('gcp service account projects', () => {
  it('reads the project of a user-managed account', () => {
    assert.equal(serviceAccountProject('ci@vendor-prod.iam.gserviceaccount.com'), 'vendor-prod');
    assert.equal(serviceAccountProject('someone@example.com'), undefined);
    assert.equal(serviceAccountProject(undefined), undefined);
  });
});
