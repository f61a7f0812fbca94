import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../src/cli/heap-growth.js';

describe('heapGrowthFlag', () => {
  it('caps the growth when the user set nothing', () => {
    assert.equal(heapGrowthFlag([], undefined), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    assert.equal(
      heapGrowthFlag(['--enable-source-maps'], '--max-old-space-size=4096'),
      '--heap-growing-percent=100',
    );
  });

  it('keeps a growth given on the node command line', () => {
    assert.equal(heapGrowthFlag(['--heap-growing-percent=300'], undefined), undefined);
    assert.equal(heapGrowthFlag(['--heap_growing_percent=20'], undefined), undefined);
  });

  it('keeps a growth given in NODE_OPTIONS', () => {
    assert.equal(heapGrowthFlag([], '--trace-warnings  --heap-growing-percent=50'), undefined);
  });
});
