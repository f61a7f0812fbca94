import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Variant } from '../../src/engine/rule-index.js';
import {
  type MemoBudget,
  type SeenOnceBudget,
  VerdictMemo,
} from '../../src/engine/verdict-memo.js';
import { productEvent } from '../helpers/engine.js';

/**
 * The hashes of events seen once that the memos of one detector keep together
 * (engine/verdict-memo.ts): a route split by event id has a memo per id, and together they must
 * stay bounded however many ids come.
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
function lookUp(memo: VerdictMemo, value: string): boolean {
  const event = productEvent('budgetproduct', { Field: value });
  if (memo.recall(event) !== undefined) return true;
  memo.remember([]);
  return false;
}

describe('seen-once hashes shared by memos', () => {
  it('stay bounded over many memos of values that seldom repeat', () => {
    const units: MemoBudget = { units: 0 };
    const seen: SeenOnceBudget = { hashes: 0, epoch: 0 };
    const memos = Array.from(
      { length: 11 },
      () => new VerdictMemo([variant('Field')], units, seen),
    );
    let most = 0;
    let hits = 0;
    for (let at = 0; at < 900_000; at++) {
      // Every other event repeats, so that no memo finds too few verdicts to go on reading.
      const value = at % 2 === 0 ? 'repeated' : `value ${at}`;
      if (lookUp(memos[at % memos.length] as VerdictMemo, value)) hits++;
      most = Math.max(most, seen.hashes);
    }
    assert.ok(hits > 400_000, `${hits} hits`);
    // Four memos' worth: 4 × 65,536 hashes.
    assert.ok(most <= 262_144, `${most} hashes`);
    assert.ok(seen.epoch >= 1);
  });

  it('still remember a value that comes twice after a new epoch began', () => {
    const units: MemoBudget = { units: 0 };
    const seen: SeenOnceBudget = { hashes: 262_143, epoch: 0 };
    const quiet = new VerdictMemo([variant('Field')], units, seen);
    const busy = new VerdictMemo([variant('Field')], units, seen);
    assert.equal(lookUp(quiet, 'repeated'), false);
    // The busy memo's hash fills the shared budget: a new epoch begins.
    assert.equal(lookUp(busy, 'other'), false);
    assert.equal(seen.epoch, 1);
    // The quiet memo lost its hash in the new epoch: the value counts as new again.
    assert.equal(lookUp(quiet, 'repeated'), false);
    assert.equal(lookUp(quiet, 'repeated'), false);
    assert.equal(lookUp(quiet, 'repeated'), true);
  });
});
