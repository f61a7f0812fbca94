import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../src/model/event.js';
import { EvalContext, fieldAccessor } from '../../src/rules/fields.js';

/** Per-event caches of field values return each event's own values, also after a stamp wrap. */

function event(image: string): Event {
  return {
    time: 0,
    timeText: '0',
    format: 'test',
    logsource: { product: 'windows' },
    fields: { Image: image },
    core: {},
    extra: {},
    origin: { file: 'test', record: 1, line: 1 },
    summary: '',
  };
}

describe('evaluation context caches', () => {
  const image = fieldAccessor('Image');

  it('returns the values of the current event', () => {
    const context = new EvalContext(1024);
    context.reset(event('C:\\A.exe'));
    assert.deepEqual(context.lowerOf(image), ['c:\\a.exe']);
    context.reset(event('C:\\B.exe'));
    assert.deepEqual(context.lowerOf(image), ['c:\\b.exe']);
    assert.deepEqual(
      context.indexKeysOf(image, (value) => value),
      ['c:\\b.exe'],
    );
  });

  it('drops old values when the stamp wraps', () => {
    const context = new EvalContext(1024);
    context.reset(event('first.exe'));
    assert.deepEqual(context.stringsOf(image), ['first.exe']);
    (context as unknown as { stamp: number }).stamp = 0x3fffffff;
    context.reset(event('second.exe'));
    assert.deepEqual(context.stringsOf(image), ['second.exe']);
    context.reset(event('third.exe'));
    assert.deepEqual(context.stringsOf(image), ['third.exe']);
  });
});
