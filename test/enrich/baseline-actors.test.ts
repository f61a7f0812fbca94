import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseContext } from '../../src/context/load.js';
import { BaselineEnricher, keyActors, SightingSet } from '../../src/enrich/baseline.js';
import { TrustEnricher } from '../../src/enrich/trust.js';
import { readOne } from '../helpers/read.js';
import { REPO_ROOT } from '../helpers/shared.js';

/**
 * Baselines of one account in several spellings, on real OTRF records of `pgustavo` on the
 * domain controller MORDORDC: 4624 writes `THESHIRE.LOCAL\pgustavo`, 4672 `THESHIRE\pgustavo`,
 * 4768 `theshire.local\pgustavo`.
 */

const RDP = join(REPO_ROOT, 'test/fixtures/windows/otrf-rdp-lsass-dump.pgustavo.ndjson');

const CONTEXT = parseContext(
  'trustwatch.yaml',
  `
parties:
  - name: Northwind Managed IT
    kind: msp
    accounts: ['THESHIRE\\pgustavo', 'pgustavo']
`,
);

async function taggedEvents() {
  const { events } = await readOne(RDP);
  const trust = new TrustEnricher(CONTEXT);
  for (const event of events) trust.enrich(event);
  return events;
}

describe('baseline actors', () => {
  it('learns one actor for the spellings of one account', async () => {
    const learning = new SightingSet();
    const enricher = new BaselineEnricher(new SightingSet(), learning, CONTEXT.domains);
    for (const event of await taggedEvents()) enricher.enrich(event);

    const actors = new Set(
      [...learning.values()].filter((item) => item.kind === 'actor').map((item) => item.entity),
    );
    assert.deepEqual([...actors].sort(), ['pgustavo', 'theshire\\pgustavo']);
    const host = learning.get('actor', 'theshire\\pgustavo', 'host', 'mordordc.theshire.local');
    assert.equal(host?.count, 4);
  });

  it('reads history stored under another spelling', async () => {
    const stored = new SightingSet();
    stored.add({
      kind: 'actor',
      entity: 'pgustavo@theshire.local',
      attribute: 'host',
      value: 'mordordc.theshire.local',
      firstSeen: Date.parse('2020-09-01T08:00:00Z'),
      lastSeen: Date.parse('2020-09-15T08:00:00Z'),
      count: 6,
    });
    const snapshot = keyActors(stored, CONTEXT.domains);
    const enricher = new BaselineEnricher(snapshot, undefined, CONTEXT.domains);

    const events = await taggedEvents();
    const logon = events.find((event) => event.core.action === '4624');
    assert.equal(logon?.core.actor, 'THESHIRE.LOCAL\\pgustavo');
    if (!logon) return;
    enricher.enrich(logon);
    assert.equal(logon.extra['baseline.actor.known'], true);
    assert.equal(logon.extra['baseline.actor.host.count'], 6);
    assert.equal(logon.extra['baseline.actor.host.first_seen'], false);
    assert.equal(logon.extra['baseline.actor.host.days_since_last'], 7);
  });

  it('keeps a bare name apart from the domain account', async () => {
    const stored = new SightingSet();
    stored.add({
      kind: 'actor',
      entity: 'pgustavo',
      attribute: 'host',
      value: 'mordordc.theshire.local',
      firstSeen: Date.parse('2020-09-01T08:00:00Z'),
      lastSeen: Date.parse('2020-09-15T08:00:00Z'),
      count: 6,
    });
    const enricher = new BaselineEnricher(
      keyActors(stored, CONTEXT.domains),
      undefined,
      CONTEXT.domains,
    );
    const logon = (await taggedEvents()).find((event) => event.core.action === '4624');
    if (!logon) assert.fail('the fixture has a 4624 record');
    enricher.enrich(logon);
    assert.equal(logon.extra['baseline.actor.known'], false);
    assert.equal(logon.extra['baseline.actor.host.count'], 0);
  });
});
