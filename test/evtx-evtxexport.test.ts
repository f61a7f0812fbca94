import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Event } from '../src/model/event.js';
import { normalizeValue } from './helpers/evtx-compare.js';
import { FIXTURE_COUNTS } from './helpers/evtx-files.js';
import { readInput } from './helpers/read-input.js';
import { fixturePath, hasShared, SHARED_ROOT } from './helpers/shared.js';

/**
 * Compares the reader with libevtx's `evtxexport` (Debian package libevtx-utils), an
 * independent EVTX reader. Both must give the same number of records. For each record they
 * must give the same computer, provider, event id, level, user SID and EventData or UserData
 * values in order. The setup installs the package with apt-get when `evtxexport` is missing.
 */

/** libevtx 20181227 expects dependency ids in every start tag, so it cannot read this file. */
const UNREADABLE_BY_LIBEVTX = 'ID1149-RDP_success_logins_to_multiple_hosts.evtx';

/**
 * Its event has no EventData but a ProcessingErrorData element (Windows writes one when the
 * data does not fit the provider's template). The XML source reads no fields from it, and
 * neither does the EVTX reader, while evtxexport lists its three values as strings.
 */
const PROCESSING_ERROR_DATA = 'LM_winrm_target_wrmlogs_91_wsmanShellStarted_poorLog.evtx';

interface ExportedEvent {
  computer?: string;
  source?: string;
  eventId?: number;
  level?: number;
  userSid?: string;
  strings: string[];
}

let unavailable: string | undefined;

function installEvtxexport(): string | undefined {
  if (spawnSync('evtxexport', ['-V']).status === 0) return undefined;
  if (spawnSync('apt-get', ['--version']).error) {
    return 'evtxexport is missing and apt-get is not available to install libevtx-utils';
  }
  const install = () =>
    spawnSync('apt-get', ['install', '-y', 'libevtx-utils'], { timeout: 300_000 }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update'], { timeout: 300_000 });
    if (!install()) return 'apt-get install -y libevtx-utils failed';
  }
  return spawnSync('evtxexport', ['-V']).status === 0 ? undefined : 'evtxexport did not install';
}

function runEvtxexport(path: string): { status: number | null; events: ExportedEvent[] } {
  const run = spawnSync('evtxexport', [path], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const blocks = run.stdout.split(/\n(?=Event number\t+: \d+\n)/).slice(1);
  return { status: run.status, events: blocks.map(parseBlock) };
}

function parseBlock(block: string): ExportedEvent {
  const header = (label: string) => new RegExp(`^${label}\\t+: (.*)$`, 'm').exec(block)?.[1];
  const event: ExportedEvent = { strings: [] };
  const computer = header('Computer name');
  const source = header('Source name');
  const userSid = header('User security identifier');
  if (computer !== undefined) event.computer = computer;
  if (source !== undefined) event.source = source;
  if (userSid !== undefined) event.userSid = userSid;
  const eventId = /\((\d+)\)$/.exec(header('Event identifier') ?? '')?.[1];
  if (eventId !== undefined) event.eventId = Number(eventId) & 0xffff;
  const level = /\((\d+)\)$/.exec(header('Event level') ?? '')?.[1];
  if (level !== undefined) event.level = Number(level);

  const strings = /String: \d+\t+: ([\s\S]*?)(?=\nString: \d+\t+: |\n*$)/g;
  for (const match of block.matchAll(strings)) event.strings.push(match[1] ?? '');
  return event;
}

/**
 * Returns the EventData or UserData values of an event, in document order, leaving out the
 * copies that the Windows sources add under a name without spaces (`ThreatName`).
 */
function dataValues(event: Event): unknown[] {
  const values: unknown[] = [];
  const compacted = new Set(
    Object.keys(event.fields)
      .filter((name) => name.includes(' '))
      .map((name) => name.replace(/ /g, '')),
  );
  for (const [name, value] of Object.entries(event.fields)) {
    if (name === 'Provider_Name' || name === 'EventID' || name === 'TimeCreated') break;
    if (compacted.has(name)) continue;

    if (Array.isArray(value)) values.push(...value);
    else values.push(value);
  }
  return values;
}

function compare(
  event: Event,
  exported: ExportedEvent | undefined,
  where: string,
  withStrings: boolean,
): void {
  assert.ok(exported, `${where}: evtxexport has no such record`);
  const fields = event.fields;
  const text = (value: unknown) => normalizeValue(value, { fractionDigits: 7, trimEnd: true });
  assert.equal(exported.computer, fields.Computer, `${where} Computer`);
  assert.equal(exported.source, fields.Provider_Name, `${where} Provider_Name`);
  assert.equal(exported.eventId, Number(fields.EventID), `${where} EventID`);
  if (fields.Level !== undefined)
    assert.equal(exported.level, Number(fields.Level), `${where} Level`);
  if (fields.UserID !== undefined) assert.equal(exported.userSid, fields.UserID, `${where} UserID`);
  if (!withStrings) {
    assert.deepEqual(dataValues(event), [], `${where} EventData values`);
    return;
  }
  assert.deepEqual(
    exported.strings.map(text),
    dataValues(event).map(text),
    `${where} EventData values`,
  );
}

function evtxFiles(): string[] {
  const folders = [
    'corpus/windows/mdecrevoisier-evtx-to-mitre-attack',
    'corpus/windows/sbousseaden-evtx-attack-samples',
  ];
  const files: string[] = [];
  for (const folder of folders) {
    if (!hasShared(folder)) continue;
    for (const name of readdirSync(join(SHARED_ROOT, folder)).sort()) {
      if (name.endsWith('.evtx')) files.push(join(SHARED_ROOT, folder, name));
    }
  }
  const regression = 'peer/sigmahq-regression';
  if (hasShared(regression)) {
    for (const name of readdirSync(join(SHARED_ROOT, regression)).sort()) {
      if (name.startsWith('_') || name.includes('.')) continue;
      for (const file of readdirSync(join(SHARED_ROOT, regression, name))) {
        if (file.endsWith('.evtx')) files.push(join(SHARED_ROOT, regression, name, file));
      }
    }
  }
  return files;
}

describe('evtx against evtxexport', () => {
  before(() => {
    unavailable = installEvtxexport();
  });

  const fixtures = Object.keys(FIXTURE_COUNTS).map((name) => fixturePath('evtx', name));
  for (const path of [...fixtures, ...evtxFiles()]) {
    const name = path.split('/').pop() ?? path;
    it(`matches on ${name}`, async (t) => {
      if (unavailable) {
        t.skip(unavailable);
        return;
      }
      const ours = await readInput(path);
      assert.deepEqual(ours.rejections, []);
      const theirs = runEvtxexport(path);
      if (name === UNREADABLE_BY_LIBEVTX) {
        assert.notEqual(theirs.status, 0);
        assert.equal(ours.events.length, 11);
        return;
      }
      assert.equal(theirs.status, 0);
      assert.equal(ours.events.length, theirs.events.length);
      ours.events.forEach((event, index) => {
        const where = `record ${event.origin.record}`;
        compare(event, theirs.events[index], where, name !== PROCESSING_ERROR_DATA);
      });
    });
  }
});
