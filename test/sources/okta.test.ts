import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  parsePath,
  parseStdin,
  parseText,
  rejectionCodes,
  TEST_SETTINGS,
} from '../helpers/parse-identity.js';
import { fixturePath, sharedPath } from '../helpers/shared.js';

/** Okta System Log events, as NDJSON and as an API page (a JSON array). */

const PANTHER = fixturePath('identity', 'panther-okta-systemlog.ndjson');

const INPUT_TIME = { ...TEST_SETTINGS, missingTime: 'input_time' as const };

describe('okta-system-log', () => {
  it('reads events and rejects one without a time', async () => {
    const parsed = await parsePath(PANTHER);
    assert.equal(parsed.format, 'okta-system-log');
    assert.equal(parsed.events.length, 8);
    assert.deepEqual(rejectionCodes(parsed.rejections), { invalid_time: 1 });
    assert.equal(parsed.rejections[0]?.origin.record, 9);
    assert.ok(parsed.events.every((event) => event.logsource.product === 'okta'));
  });

  it('dates an event without a time by the file when told to', async () => {
    const parsed = await parsePath(PANTHER, INPUT_TIME);
    assert.equal(parsed.events.length, 9);
    assert.deepEqual(parsed.rejections, []);
    const logout = parsed.events[8];
    assert.equal(logout?.core.action, 'logout');
    assert.equal(logout?.time, Math.floor(statSync(PANTHER).mtimeMs));
    assert.equal(logout?.timeText, '');
  });

  it('rejects an event without a time on standard input, which has no file time', async () => {
    const parsed = await parseStdin(
      '{"uuid": "u1", "eventType": "logout", "actor": {"alternateId": "a"}}\n',
    );
    assert.deepEqual(rejectionCodes(parsed.rejections), { invalid_time: 1 });
  });

  it('names the actor by login and the session by Okta session id', async () => {
    const events = (await parsePath(PANTHER)).events;
    const federated = events.find(
      (event) => event.fields.eventType === 'user.authentication.auth_via_IDP',
    );
    assert.equal(federated?.core.actor, 'homer.simpson@duff.com');
    assert.equal(federated?.core.session, '100-abc-9999');
    assert.equal(federated?.core.srcIp, '1.3.2.4');
    assert.equal(federated?.core.outcome, 'success');
    assert.equal(federated?.time, Date.parse('2022-06-22T18:18:29.015Z'));
  });

  it('takes the API spelling of lower-case keys', async () => {
    const events = (await parsePath(PANTHER)).events;
    const created = events.find((event) => event.core.action === 'system.idp.lifecycle.create');
    assert.equal(created?.fields.eventtype, undefined);
    assert.equal(created?.fields.displayMessage, 'Authentication of user via MFA');
    const context = created?.fields.authenticationContext as Record<string, unknown> | undefined;
    assert.equal(context?.externalSessionId, '100-abc-9999');
  });

  it('reads an API page', async () => {
    const lines = readFileSync(PANTHER, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const parsed = await parseText('okta.json', `[${lines.slice(0, 8).join(',\n')}]`);
    assert.equal(parsed.format, 'okta-system-log');
    assert.equal(parsed.events.length, 8);
    assert.deepEqual(
      parsed.events.map((event) => event.origin.record),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
  });
});

describe('okta corpus', () => {
  it('parses every record', async (t) => {
    const path = sharedPath(
      t,
      'corpus',
      'okta',
      'panther-analysis',
      'panther-okta-systemlog.ndjson',
    );
    if (!path) return;
    const parsed = await parsePath(path);
    assert.equal(parsed.format, 'okta-system-log');
    // Panther's hand-written stubs: ten events without `published`, three with the text
    // "redacted" in it, and two records with only Panther's own p_* keys.
    assert.equal(parsed.events.length, 58);
    assert.deepEqual(rejectionCodes(parsed.rejections), { invalid_time: 15 });
    const dated = await parsePath(path, INPUT_TIME);
    assert.equal(dated.events.length, 73);
    const mtime = Math.floor(statSync(path).mtimeMs);
    assert.equal(dated.events.filter((event) => event.time === mtime).length, 15);
  });
});
