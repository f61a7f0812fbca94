import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../src/model/event.js';
import { type IndexedMapping, LogSourceRouter } from '../../src/rules/logsources/mapping.js';

const CHANNEL = 'Microsoft-Windows-Sysmon/Operational';

function mapping(index: number, category: string, where: IndexedMapping['where']): IndexedMapping {
  return { index, logsource: { product: 'windows', category }, where };
}

const TABLE: IndexedMapping[] = [
  mapping(0, 'process_creation', { Channel: [CHANNEL], EventID: [1] }),
  mapping(1, 'network_connection', { Channel: [CHANNEL], EventID: [3] }),
  mapping(2, 'any_sysmon', { Channel: [CHANNEL] }),
  mapping(3, 'create_or_access', { Channel: [CHANNEL], EventID: ['1', '10'] }),
  mapping(4, 'signed_load', { Channel: ['Loads'], EventID: [7], Signed: ['true'] }),
  mapping(5, 'other_load', { Channel: ['Loads'], EventID: [7] }),
];

function event(fields: Record<string, unknown>): Event {
  return {
    time: 0,
    timeText: '',
    format: 'test',
    logsource: { product: 'windows' },
    fields,
    core: {},
    extra: {},
    origin: { file: 'test', record: 1, line: 1 },
    summary: '',
  };
}

function routed(router: LogSourceRouter, fields: Record<string, unknown>): number[] {
  const out: number[] = [];
  router.route(event(fields), out);
  return out;
}

describe('LogSourceRouter by field value', () => {
  it('routes a repeated value alike', () => {
    const router = new LogSourceRouter(TABLE);
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(routed(router, { Channel: CHANNEL, EventID: 1 }), [0, 2, 3]);
      assert.deepEqual(routed(router, { Channel: CHANNEL, EventID: '1' }), [0, 2, 3]);
      assert.deepEqual(routed(router, { Channel: CHANNEL, EventID: 10 }), [2, 3]);
    }
  });

  it('routes a missing value to unconditioned mappings', () => {
    const router = new LogSourceRouter(TABLE);
    assert.deepEqual(routed(router, { Channel: CHANNEL }), [2]);
    assert.deepEqual(routed(router, { Channel: CHANNEL, EventID: null }), [2]);
    assert.deepEqual(routed(router, { Channel: CHANNEL, EventID: 3 }), [1, 2]);
  });

  it('routes a list value by its elements', () => {
    const router = new LogSourceRouter(TABLE);
    assert.deepEqual(routed(router, { Channel: CHANNEL, EventID: [3, 10] }), [1, 2, 3]);
    assert.deepEqual(routed(router, { Channel: CHANNEL, EventID: 3 }), [1, 2]);
  });

  it('tests every field when routes differ', () => {
    const router = new LogSourceRouter(TABLE);
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(routed(router, { Channel: 'Loads', EventID: 7, Signed: 'true' }), [4, 5]);
      assert.deepEqual(routed(router, { Channel: 'Loads', EventID: 7, Signed: 'false' }), [5]);
      assert.deepEqual(routed(router, { Channel: 'Loads', EventID: 7, Signed: 'TRUE' }), [4, 5]);
      assert.deepEqual(routed(router, { Channel: 'Loads', EventID: 7 }), [5]);
      assert.deepEqual(routed(router, { Channel: 'Loads', EventID: '7', Signed: true }), [4, 5]);
      assert.deepEqual(routed(router, { Channel: 'Loads', EventID: 8, Signed: 'true' }), []);
      assert.deepEqual(routed(router, { Channel: 'LOADS', Signed: 'true', EventID: 7 }), [4, 5]);
    }
  });

  it('routes a second-field list by elements', () => {
    const router = new LogSourceRouter(TABLE);
    const signed = { Channel: 'Loads', EventID: 7, Signed: ['false', 'true'] };
    assert.deepEqual(routed(router, signed), [4, 5]);
    assert.deepEqual(routed(router, { ...signed, Signed: ['false'] }), [5]);
  });

  it('routes channels without field tests', () => {
    const router = new LogSourceRouter([
      mapping(0, 'any', { Channel: ['System'] }),
      mapping(1, 'also_any', { Channel: ['System'] }),
    ]);
    assert.deepEqual(routed(router, { Channel: 'System', EventID: 7045 }), [0, 1]);
    assert.deepEqual(routed(router, { Channel: 'system' }), [0, 1]);
  });

  it('adds product-wide mappings everywhere', () => {
    const router = new LogSourceRouter([
      ...TABLE,
      { index: 6, logsource: { product: 'windows' } },
      { index: 7, logsource: { product: 'linux' } },
    ]);
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(routed(router, { Channel: CHANNEL, EventID: 1 }), [0, 2, 3, 6]);
      assert.deepEqual(routed(router, { Channel: 'Loads', EventID: 7 }), [5, 6]);
      assert.deepEqual(routed(router, { Channel: 'Loads', EventID: 7, Signed: [true] }), [4, 5, 6]);
      assert.deepEqual(routed(router, { Channel: 'Unknown', EventID: 1 }), [6]);
      assert.deepEqual(routed(router, { EventID: 1 }), [6]);
    }
  });

  it('tests service and category', () => {
    const router = new LogSourceRouter([
      mapping(0, 'process_creation', { Channel: [CHANNEL], EventID: [1] }),
      { index: 1, logsource: { product: 'windows', service: 'sysmon' } },
      { index: 2, logsource: { product: 'Windows' } },
    ]);
    const sysmon = { ...event({ Channel: CHANNEL, EventID: 1 }) };
    sysmon.logsource = { product: 'WINDOWS', service: 'Sysmon' };
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(router.routeList(sysmon), [0, 2, 1]);
      assert.deepEqual(routed(router, { Channel: CHANNEL, EventID: 1 }), [0, 2]);
    }
  });

  it('reuses lists of tested product mappings', () => {
    const router = new LogSourceRouter([
      { index: 0, logsource: { product: 'aws', service: 'cloudtrail' } },
      { index: 1, logsource: { product: 'aws' } },
      { index: 2, logsource: { product: 'aws', service: 's3' } },
    ]);
    const cloud = (service: string) => {
      const item = event({ eventName: 'ConsoleLogin' });
      item.logsource = { product: 'aws', service };
      return router.routeList(item);
    };
    const trail = cloud('cloudtrail');
    assert.deepEqual(trail, [1, 0]);
    assert.equal(cloud('cloudtrail'), trail);
    assert.deepEqual(cloud('s3'), [1, 2]);
    assert.equal(cloud('s3'), cloud('s3'));
    assert.deepEqual(cloud('guardduty'), [1]);
  });

  it('reuses one list per combination', () => {
    const router = new LogSourceRouter(TABLE);
    const processEvent = router.routeList(event({ Channel: CHANNEL, EventID: 1 }));
    const upperChannel = router.routeList(event({ Channel: CHANNEL.toUpperCase(), EventID: 1 }));
    const accessEvent = router.routeList(event({ Channel: CHANNEL, EventID: 10 }));
    assert.equal(upperChannel, processEvent);
    assert.notEqual(accessEvent, processEvent);
    assert.equal(router.routeList(event({ Channel: CHANNEL, EventID: 10 })), accessEvent);
    assert.deepEqual(router.routeList(event({ product: 'x' } as never)), []);
  });
});
