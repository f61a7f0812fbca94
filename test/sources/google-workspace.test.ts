import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Event } from '../../src/model/event.js';
import { parseInput, TEST_SETTINGS } from '../helpers/parse.js';
import { fixturePath, sharedPath } from '../helpers/shared.js';

function parametersOf(event: Event | undefined): Record<string, unknown> {
  return (event?.fields.parameters ?? {}) as Record<string, unknown>;
}

describe('google-workspace source', () => {
  it('splits an activity into one event per event', async () => {
    const parsed = await parseInput(fixturePath('google-workspace', 'reports-api-activities.json'));
    assert.equal(parsed.format, 'google-workspace');
    assert.equal(parsed.rejections.length, 0);
    assert.equal(parsed.events.length, 3);
    const [setting, delegation, authorize] = parsed.events;
    assert.equal(setting?.origin.record, 1);
    assert.equal(delegation?.origin.record, 1);
    assert.equal(authorize?.origin.record, 2);
    assert.equal(setting?.fields.name, 'CHANGE_APPLICATION_SETTING');
    assert.equal(delegation?.fields.name, 'AUTHORIZE_API_CLIENT_ACCESS');
    assert.deepEqual(setting?.logsource, { product: 'gcp', service: 'google_workspace.admin' });
    assert.equal(setting?.fields.eventService, 'admin.googleapis.com');
  });

  it('keeps the activity fields and the original event', async () => {
    const parsed = await parseInput(fixturePath('google-workspace', 'reports-api-activities.json'));
    const setting = parsed.events[0];
    assert.equal(setting?.fields.ipAddress, '192.0.2.10');
    assert.deepEqual(setting?.fields.parameters, {
      APPLICATION_NAME: 'Security',
      SETTING_NAME: 'ContextAwareAccess.Enforcement',
      OLD_VALUE: 'true',
      NEW_VALUE: 'false',
    });
    const events = setting?.fields.events as { name: string }[];
    assert.equal(events.length, 1);
    assert.equal(events[0]?.name, 'CHANGE_APPLICATION_SETTING');
    assert.equal(setting?.time, Date.parse('2024-05-06T09:15:02.120Z'));
    assert.equal(setting?.core.actor, 'it-admin@contoso.example');
  });

  it('reads every parameter value type', async () => {
    const parsed = await parseInput(fixturePath('google-workspace', 'reports-api-activities.json'));
    const authorize = parsed.events[2];
    const parameters = parametersOf(authorize);
    assert.equal(parameters.client_id, '111122223333-fixture.apps.googleusercontent.com');
    assert.equal(parameters.num_response_bytes, 1223);
    assert.equal(parameters.is_native, false);
    assert.deepEqual(parameters.scope, ['https://www.googleapis.com/auth/drive']);
    assert.deepEqual(parameters.scope_data, [
      { scope_name: 'https://www.googleapis.com/auth/drive', product_bucket: ['DRIVE'] },
    ]);
  });

  it('names the OAuth client as the event app', async () => {
    const parsed = await parseInput(fixturePath('google-workspace', 'reports-api-activities.json'));
    const authorize = parsed.events[2];
    assert.equal(authorize?.core.app, '111122223333-fixture.apps.googleusercontent.com');
    assert.equal(authorize?.core.actor, 'user@contoso.example');
    assert.equal(authorize?.core.srcIp, '198.51.100.7');
    assert.equal(authorize?.core.action, 'authorize');
  });

  it('reads the Panther flattened shape', async () => {
    const parsed = await parseInput(
      fixturePath('google-workspace', 'panther-activityevent.ndjson'),
    );
    assert.equal(parsed.format, 'google-workspace');
    assert.equal(parsed.events.length, 4);
    assert.equal(parsed.rejections.length, 0);
    const [role, , saml, token] = parsed.events;
    assert.equal(role?.fields.name, 'DELETE_ROLE');
    assert.equal(parametersOf(role).ROLE_NAME, 'CustomAdminRoleName');
    assert.equal(role?.time, Date.parse('2022-12-11T02:57:48.693Z'));
    assert.equal(saml?.logsource.service, 'google_workspace.saml');
    assert.equal(
      token?.core.app,
      '123456789012-abcdefghijklmnopqrstuvwxyz123456.apps.googleusercontent.com',
    );
    assert.equal(role?.fields.events, undefined);
  });

  it('reads the Elastic split-event shape', async (t) => {
    const path = sharedPath(
      t,
      'corpus',
      'google-workspace',
      'elastic-integrations',
      'test-token.log',
    );
    if (!path) return;
    const parsed = await parseInput(path);
    assert.equal(parsed.format, 'google-workspace');
    assert.equal(parsed.events.length, 1);
    const event = parsed.events[0];
    assert.equal(event?.fields.name, 'authorize');
    assert.equal(
      event?.core.app,
      '923474483785-sqf6uk8vq1rqe853il0g2h4m98ji2fq6.apps.googleusercontent.com',
    );
    const scopes = parametersOf(event).scope as string[];
    assert.equal(scopes.length, 5);
  });

  it('keeps newest-first record numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-gws-'));
    const path = join(dir, 'drive.json');
    const activity = (time: string, doc: string) => ({
      kind: 'admin#reports#activity',
      id: { time, applicationName: 'drive', uniqueQualifier: doc },
      actor: { email: 'a@contoso.example' },
      events: [{ type: 'access', name: 'download', parameters: [{ name: 'doc_id', value: doc }] }],
    });
    const items = [activity('2024-01-01T10:05:00Z', 'b'), activity('2024-01-01T10:00:00Z', 'a')];
    writeFileSync(path, JSON.stringify({ kind: 'admin#reports#activities', items }));
    const parsed = await parseInput(path);
    assert.deepEqual(
      parsed.events.map((event) => [event.origin.record, event.core.target]),
      [
        [1, 'b'],
        [2, 'a'],
      ],
    );
  });

  it('rejects an activity without a time, or parses it with the input time and warns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-gws-'));
    const path = join(dir, 'partial.ndjson');
    writeFileSync(path, `${JSON.stringify({ id: { applicationName: 'login' }, type: 'login' })}\n`);
    const strict = await parseInput(path);
    assert.equal(strict.events.length, 0);
    assert.equal(strict.rejections[0]?.code, 'invalid_time');
    const parsed = await parseInput(path, undefined, {
      ...TEST_SETTINGS,
      missingTime: 'input_time',
    });
    assert.equal(parsed.events.length, 1);
    assert.equal(parsed.events[0]?.timeText, '');
    assert.equal(parsed.warnings.length, 1);
    assert.equal(parsed.warnings[0]?.fields?.record, 1);
  });
});
