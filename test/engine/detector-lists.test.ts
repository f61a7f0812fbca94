import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Detector } from '../../src/engine/detector.js';
import type { Event } from '../../src/model/event.js';
import { loadRuleTexts } from '../../src/rules/load.js';
import { LogSourceRouter } from '../../src/rules/logsources/mapping.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';
import type { DetectionRule } from '../../src/rules/rule.js';

const RULE = `
title: Copy run through execve
id: 0e0c3a52-8a7e-4c5e-9d6b-3f1a2b4c5d6e
logsource:
  product: listproduct
detection:
  selection:
    type: EXECVE
    a0|startswith: c
  condition: selection
`;

function event(fields: Record<string, unknown>): Event {
  return {
    time: 0,
    timeText: '0',
    format: 'test',
    logsource: { product: 'listproduct' },
    fields,
    core: {},
    extra: {},
    origin: { file: 'test', record: 1, line: 1 },
    summary: '',
  };
}

function detector(): Detector {
  const set = loadRuleTexts([{ file: 'rule.yml', text: RULE }], {
    placeholders: placeholderLookup({}),
  });
  assert.deepEqual(set.problems, []);
  const mappings = buildMappingTable([{ logsource: { product: 'listproduct' } }]);
  return new Detector(set.rules as DetectionRule[], mappings, {
    placeholders: placeholderLookup({}),
    maxFieldLength: 1024,
  });
}

describe('detector on list fields', () => {
  it('finds a rule indexed by a value inside a list', () => {
    const matched: number[] = [];
    detector().detect(event({ type: ['SYSCALL', 'EXECVE', 'PATH'], a0: 'cp' }), matched);
    assert.deepEqual(matched, [0]);
  });

  it('matches a scalar value as before', () => {
    const matched: number[] = [];
    detector().detect(event({ type: 'EXECVE', a0: 'cp' }), matched);
    assert.deepEqual(matched, [0]);
  });

  it('skips a list without the value', () => {
    const matched: number[] = [];
    detector().detect(event({ type: ['SYSCALL', 'PATH'], a0: 'cp' }), matched);
    assert.deepEqual(matched, []);
  });
});

describe('log source conditions on list fields', () => {
  it('routes an event whose list contains the value', () => {
    const router = new LogSourceRouter(
      buildMappingTable([
        {
          logsource: { product: 'listproduct', category: 'process_creation' },
          where: { type: ['EXECVE'] },
        },
      ]),
    );
    const routed: number[] = [];
    router.route(event({ type: ['SYSCALL', 'EXECVE'] }), routed);
    assert.equal(routed.length, 1);
    router.route(event({ type: ['SYSCALL', 'PATH'] }), routed);
    assert.equal(routed.length, 0);
  });
});
