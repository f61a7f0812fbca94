import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseInput } from '../helpers/parse.js';
import { fixturePath } from '../helpers/shared.js';

describe('azure-activity source', () => {
  it('reads diagnostic records', async () => {
    const parsed = await parseInput(
      fixturePath('azure-activity', 'panther-monitoractivity.ndjson'),
    );
    assert.equal(parsed.format, 'azure-activity');
    assert.equal(parsed.events.length, 4);
    assert.equal(parsed.rejections.length, 0);
    const [deleted, recommendation, role, blob] = parsed.events;
    assert.deepEqual(deleted?.logsource, { product: 'azure', service: 'activitylogs' });
    assert.equal(deleted?.fields.resourceProviderName, 'Microsoft.Insights');
    assert.equal(deleted?.core.outcome, 'success');
    assert.equal(recommendation?.logsource.service, 'activitylogs');
    assert.equal(role?.core.action, 'Microsoft.Authorization/roleAssignments/write');
    assert.deepEqual(blob?.logsource, { product: 'azure', service: 'resourcelogs' });
    assert.equal(blob?.core.srcIp, '8.8.8.8');
  });

  it('reads the REST and CLI export', async () => {
    const parsed = await parseInput(fixturePath('azure-activity', 'rest-export.json'));
    assert.equal(parsed.format, 'azure-activity');
    const event = parsed.events[0];
    assert.equal(event?.fields.operationName, 'Microsoft.Authorization/roleAssignments/write');
    assert.equal(event?.fields['operationName.localizedValue'], 'Create role assignment');
    assert.equal(event?.fields.category, 'Administrative');
    assert.equal(event?.fields.resultType, 'Succeeded');
    assert.equal(event?.fields.resourceProviderName, 'Microsoft.Authorization');
    assert.equal(event?.time, Date.parse('2024-05-06T10:20:30.456Z'));
    assert.equal(event?.core.actor, 'tech@partner.example');
    assert.equal(event?.core.srcIp, '198.51.100.20');
    assert.equal(event?.core.tenant, 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
    assert.equal(event?.core.app, 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c');
  });

  it('leaves Entra ID records to their own format', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'trustwatch-azure-')), 'audit.ndjson');
    const entra = {
      time: '2024-03-19T10:02:10.0000000Z',
      resourceId: '/tenants/3f1b8a52/providers/Microsoft.aadiam',
      operationName: 'Add service principal',
      category: 'AuditLogs',
    };
    writeFileSync(
      path,
      `${JSON.stringify(entra)}\n${JSON.stringify({ ...entra, category: 'Policy' })}\n`,
    );
    assert.equal((await parseInput(path)).format, undefined);
    writeFileSync(path, `${JSON.stringify({ ...entra, category: 'Policy' })}\n`);
    assert.equal((await parseInput(path)).format, undefined);
  });
});
