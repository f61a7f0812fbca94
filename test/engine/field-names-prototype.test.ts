import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRules, matchTitles, sysmonEvent } from '../helpers/engine.js';

/**
 * Field names that are also names of `Object.prototype`'s properties. A rule may test them, and
 * a JSON record may carry them as its own keys, which `JSON.parse` keeps.
 */

const set = loadRules({
  'proto.yml': `
title: Prototype field name
logsource:
  product: windows
  service: sysmon
detection:
  selection:
    __proto__: vendor
    constructor|contains: tool
  condition: selection
`,
});

describe('field names of the object prototype', () => {
  it('load as fields', () => {
    assert.deepEqual(set.problems, []);
    assert.equal(set.rules.length, 1);
  });

  it('match only own fields of a record', () => {
    const own = JSON.parse('{"__proto__": "vendor", "constructor": "a tool"}');
    const [matched, absent] = matchTitles(set, [
      sysmonEvent(1, own),
      sysmonEvent(1, { Image: 'C:\\\\Windows\\\\notepad.exe' }),
    ]);
    assert.deepEqual(matched, ['Prototype field name']);
    assert.deepEqual(absent, []);
  });
});
