import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Variant } from '../../src/engine/rule-index.js';
import {
  MAX_ALL_SEEN_ONCE,
  MAX_MEMO_UNITS,
  MemoPool,
  VerdictMemo,
} from '../../src/engine/verdict-memo.js';
import { productEvent } from '../helpers/engine.js';

/**
 * What the memos of one detector hold together (engine/verdict-memo.ts). A route split by event
 * id has a memo per id, and together they must stay bounded however many ids come, including
 * ids that stop coming.
 */

function variant(field: string): Variant {
  return {
    ruleIndex: 0,
    match: (context) => context.event.fields[field] === 'bad',
    reads: new Set([field]),
    seen: 0,
  };
}

/** Looks the event up and, as the detector does after a miss, remembers its verdicts. */
function lookUp(memo: VerdictMemo, value: unknown): boolean {
  const event = productEvent('budgetproduct', { Field: value });
  if (memo.recall(event) !== undefined) return true;
  memo.remember([]);
  return false;
}

function memos(count: number, pool: MemoPool): VerdictMemo[] {
  return Array.from({ length: count }, () => new VerdictMemo([variant('Field')], pool));
}

describe('memos of one detector', () => {
  it('bound their seen-once hashes', () => {
    const pool = new MemoPool();
    // An odd count, so that each memo gets both repeated and new values in turn.
    const all = memos(31, pool);
    let maxHashes = 0;
    let hits = 0;
    for (let at = 0; at < 31 * 131_000; at++) {
      // Every other event repeats, so that no memo finds too few verdicts to go on reading.
      const value = at % 2 === 0 ? 'repeated' : `value ${at}`;
      if (lookUp(all[at % all.length] as VerdictMemo, value)) hits++;
      if (at % 1000 === 0) {
        const hashes = all.reduce((sum, memo) => sum + memo.seenCount, 0);
        maxHashes = Math.max(maxHashes, hashes);
        assert.equal(hashes, pool.seenHashes);
      }
    }
    assert.ok(hits > 1_900_000, `${hits} hits`);
    assert.ok(maxHashes > MAX_ALL_SEEN_ONCE / 2, `at most ${maxHashes} hashes`);
    assert.ok(maxHashes <= MAX_ALL_SEEN_ONCE, `at most ${maxHashes} hashes`);
  });

  it('empty idle memos at the limit', () => {
    const pool = new MemoPool();
    const [quiet, ...busy] = memos(6, pool) as [VerdictMemo, ...VerdictMemo[]];
    const quietHashes = () => quiet.seenCount;
    lookUp(quiet, 'once');
    assert.equal(quietHashes(), 1);
    // Five busy memos of at most 65,536 hashes each pass the pool's limit of 262,144.
    for (let at = 0; at < 2 * MAX_ALL_SEEN_ONCE && quietHashes() !== 0; at++) {
      lookUp(busy[at % busy.length] as VerdictMemo, at % 2 === 0 ? 'same' : `v${at}`);
    }
    assert.equal(quietHashes(), 0);
  });

  it('bound events of numbers only', () => {
    const pool = new MemoPool();
    const [memo] = memos(1, pool) as [VerdictMemo];
    let maxUnits = 0;
    let emptied = false;
    // 600,000 process ids, each three times in a row: seen once, remembered, found.
    for (let at = 0; at < 1_800_000; at++) {
      lookUp(memo, 1000 + Math.floor(at / 3));
      if (pool.units < maxUnits) emptied = true;
      maxUnits = Math.max(maxUnits, pool.units);
    }
    assert.ok(maxUnits <= MAX_MEMO_UNITS, `${maxUnits} units`);
    assert.equal(emptied, true);
  });
});
