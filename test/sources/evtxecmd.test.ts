import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Event } from '../../src/model/event.js';
import { loadRules, matchTitles } from '../helpers/engine.js';
import { parsePath, parseText, rejectionCodes } from '../helpers/parse-identity.js';
import { fixturePath } from '../helpers/shared.js';

/**
 * EvtxECmd's CSV and JSON output. The fixtures render the nine real Security records of
 * windows/otrf-covenant-copy-smb.pgustavo.ndjson in EvtxECmd's shape, so each event must read
 * as the original record does.
 */

const CSV = fixturePath('evtxecmd', 'otrf-covenant.csv');
const JSON_LINES = fixturePath('evtxecmd', 'otrf-covenant.json');
const ORIGINAL = fixturePath('windows', 'otrf-covenant-copy-smb.pgustavo.ndjson');

/** Picks the values of an event that rules and chains read, to compare two shapes of it. */
function essentials(event: Event | undefined) {
  const fields = event?.fields ?? {};
  return {
    time: event?.time,
    eventId: Number(fields.EventID),
    channel: String(fields.Channel).toLowerCase(),
    core: event?.core,
    logonType: fields.LogonType,
    target: fields.TargetUserName,
    share: fields.ShareName,
    service: fields.ServiceName,
  };
}

const RULES = {
  'network-logon.yml': `
title: Network logon by pgustavo
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4624
    LogonType: 3
    TargetUserName: pgustavo
  condition: selection
`,
  'share.yml': `
title: Admin share access
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 5140
    ShareName|endswith: '\\C$'
  condition: selection
`,
};

describe('evtxecmd', () => {
  for (const [name, path, format] of [
    ['CSV', CSV, 'evtxecmd-csv'],
    ['JSON', JSON_LINES, 'evtxecmd-json'],
  ] as const) {
    it(`reads the ${name} output as the original records`, async () => {
      const parsed = await parsePath(path);
      const original = await parsePath(ORIGINAL);
      assert.equal(parsed.format, format);
      assert.deepEqual(parsed.rejections, []);
      assert.equal(parsed.events.length, 9);
      parsed.events.forEach((event, index) => {
        assert.deepEqual(essentials(event), essentials(original.events[index]), `event ${index}`);
      });
    });

    it(`runs Windows rules on the ${name} output`, async () => {
      const parsed = await parsePath(path);
      const original = await parsePath(ORIGINAL);
      const rules = loadRules(RULES);
      const titles = matchTitles(rules, parsed.events);
      assert.deepEqual(titles, matchTitles(rules, original.events));
      assert.ok(titles.flat().includes('Network logon by pgustavo'));
    });
  }

  it('keeps EvtxECmd columns beside the event data', async () => {
    const [privileges] = (await parsePath(CSV)).events;
    assert.equal(privileges?.fields.MapDescription, 'Admin logon');
    assert.equal(privileges?.fields.Provider_Name, 'Microsoft-Windows-Security-Auditing');
    assert.equal(privileges?.fields.EventRecordID, '933020');
    assert.equal(privileges?.fields.SubjectLogonId, '0x4e13b2e');
  });

  it('reads payload shapes as the XML readers do', async () => {
    const lines = readFileSync(CSV, 'utf8')
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    const header = lines[0] ?? '';
    const cells = (lines[1] ?? '').split(',').slice(0, 26);
    const row = (payload: unknown) =>
      `${cells.join(',')},"${JSON.stringify(payload).replace(/"/g, '""')}"`;
    const payloads = [
      { EventData: { Data: { '@Name': 'ShareName', '#text': 'IPC$' } } },
      { EventData: { Data: { '#text': ['NewEngineState=Available', 'HostVersion=2.0'] } } },
      { UserData: { LogFileCleared: { SubjectUserName: 'admin', Channel: 'Custom/Private' } } },
    ];
    const parsed = await parseText('out.csv', [header, ...payloads.map(row)].join('\r\n'));
    assert.equal(parsed.format, 'evtxecmd-csv');
    const [single, unnamed, cleared] = parsed.events;
    assert.equal(single?.fields.ShareName, 'IPC$');
    assert.deepEqual(unnamed?.fields.Data, ['NewEngineState=Available', 'HostVersion=2.0']);
    assert.equal(cleared?.fields.SubjectUserName, 'admin');
    assert.equal(cleared?.fields.Channel, 'Security');
    assert.equal(cleared?.fields['EventData.Channel'], 'Custom/Private');
  });

  it('gives Level, Keywords and UserId their event XML form', async () => {
    const [privileges] = (await parsePath(JSON_LINES)).events;
    assert.equal(privileges?.fields.Level, 0);
    assert.equal(privileges?.fields.LevelName, 'LogAlways');
    assert.equal(privileges?.fields.Keywords, '0x8020000000000000');
    const row = JSON.parse(readFileSync(JSON_LINES, 'utf8').split('\r\n')[0] ?? '{}');
    const changed = { ...row, Level: 'Info', Keywords: 'Audit failure', UserId: 'S-1-5-18' };
    const parsed = await parseText('out.json', JSON.stringify(changed));
    assert.equal(parsed.events[0]?.fields.Level, 4);
    assert.equal(parsed.events[0]?.fields.Keywords, '0x8010000000000000');
    assert.equal(parsed.events[0]?.fields.UserID, 'S-1-5-18');
  });

  it('reads a quoted script of many lines as one row', async () => {
    const lines = readFileSync(CSV, 'utf8')
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    const cells = (lines[1] ?? '').split(',').slice(0, 26);
    const script = Array.from({ length: 1500 }, (_, index) => `Write-Output ${index}`).join('\n');
    const payload = { EventData: { Data: [{ '@Name': 'ScriptBlockText', '#text': script }] } };
    const row = `${cells.join(',')},"${JSON.stringify(payload).replace(/"/g, '""')}"`;
    const parsed = await parseText('out.csv', [lines[0], row, lines[2]].join('\r\n'));
    assert.deepEqual(parsed.rejections, []);
    assert.equal(parsed.events.length, 2);
    assert.equal(String(parsed.events[0]?.fields.ScriptBlockText).split('\n').length, 1500);
  });

  it('rejects rows without a numeric EventId or a Channel', async () => {
    const row = JSON.parse(readFileSync(JSON_LINES, 'utf8').split('\r\n')[0] ?? '{}');
    const text = [{ ...row, EventId: 'abc' }, { ...row, Channel: '' }, row]
      .map((value) => JSON.stringify(value))
      .join('\n');
    const parsed = await parseText('out.json', text);
    assert.equal(parsed.events.length, 1);
    assert.deepEqual(rejectionCodes(parsed.rejections), { unexpected_shape: 2 });
  });

  it('rejects a row without its EventId', async () => {
    const lines = readFileSync(CSV, 'utf8')
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    const broken = (lines[2] ?? '').replace(/^(\d+),(\d+),([^,]+),\d+,/, '$1,$2,$3,,');
    const parsed = await parseText('out.csv', [lines[0], lines[1], broken, lines[3]].join('\r\n'));
    assert.equal(parsed.events.length, 2);
    assert.deepEqual(rejectionCodes(parsed.rejections), { unexpected_shape: 1 });
    assert.equal(parsed.rejections[0]?.origin.line, 3);
  });
});
