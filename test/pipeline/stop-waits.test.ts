import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STOPPED, StopWaits } from '../../src/pipeline/stop.js';

describe('StopWaits', () => {
  it("returns each promise's value", async () => {
    const controller = new AbortController();
    const waits = new StopWaits(controller.signal);
    for (let chunk = 0; chunk < 3; chunk++) {
      assert.equal(await waits.wait(Promise.resolve(chunk)), chunk);
    }
    await assert.rejects(waits.wait(Promise.reject(new Error('read failed'))), /read failed/);
    waits.close();
  });

  it('stops a pending wait', async () => {
    const controller = new AbortController();
    const waits = new StopWaits(controller.signal);
    const never = new Promise<number>(() => {});
    const waiting = waits.wait(never);
    controller.abort();
    assert.equal(await waiting, STOPPED);
    assert.equal(await waits.wait(Promise.resolve(1)), STOPPED);
    waits.close();
  });

  it('ignores a failure after the stop', async () => {
    const controller = new AbortController();
    const waits = new StopWaits(controller.signal);
    let fail: (error: Error) => void = () => {};
    const failing = new Promise<number>((_, reject) => {
      fail = reject;
    });
    const waiting = waits.wait(failing);
    controller.abort();
    fail(new Error('closed'));
    assert.equal(await waiting, STOPPED);
    waits.close();
  });

  it('waits without a signal', async () => {
    const waits = new StopWaits(undefined);
    assert.equal(await waits.wait(Promise.resolve('chunk')), 'chunk');
    waits.close();
  });
});
