import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../src/cli/heap-growth.js';

describe('heapGrowthFlag', () => {
  it('caps the growth when the user set nothing', () => {
    assert.equal(heapGrowthFlag([]), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    assert.equal(heapGrowthFlag(['--enable-source-maps']), '--heap-growing-percent=50');
  });

  it('keeps a growth given on the node command line', () => {
    assert.equal(heapGrowthFlag(['--heap-growing-percent=300']), undefined);
    assert.equal(heapGrowthFlag(['--heap_growing_percent=20']), undefined);
  });
});
