import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../src/model/event.js';
import { compileTemplate, type KeyTemplate } from '../../src/rules/templates.js';

function eventWith(fields: Record<string, unknown>): Event {
  return {
    time: 0,
    timeText: '',
    format: 'test',
    logsource: {},
    fields,
    core: {},
    extra: {},
    origin: { file: 'test', record: 1, line: 1 },
    summary: '',
  };
}

function template(text: string): KeyTemplate {
  const compiled = compileTemplate(text);
  assert.notEqual(typeof compiled, 'string', String(compiled));
  return compiled as KeyTemplate;
}

describe('json template filter', () => {
  it('unwraps a JSON array of one string', () => {
    const keys = template('{value|json}').render(eventWith({ value: '["4F1C-AB"]' }));
    assert.deepEqual(keys, ['4F1C-AB']);
  });

  it('unwraps a JSON string and a boolean array', () => {
    assert.deepEqual(template('{value|json}').render(eventWith({ value: '"True"' })), ['True']);
    assert.deepEqual(template('{value|json}').render(eventWith({ value: '[true]' })), ['true']);
  });

  it('gives every value of nested arrays and objects', () => {
    const keys = template('{value|json}').render(eventWith({ value: '[["a", 2], {"b": "c"}]' }));
    assert.deepEqual(keys, ['a', '2', 'c']);
  });

  it('keeps text that is not JSON', () => {
    const text = '[] => [[Id: x, Scope: Mail.Read]]';
    assert.deepEqual(template('{value|json}').render(eventWith({ value: text })), [text]);
    assert.deepEqual(template('{value|json}').render(eventWith({ value: 'plain' })), ['plain']);
  });

  it('reads each element of a field path through arrays', () => {
    const fields = {
      targets: [{ values: ['"first"', '["second"]'] }, { values: ['[]'] }],
    };
    const keys = template('{targets.values|json|lower}').render(eventWith(fields));
    assert.deepEqual(keys, ['first', 'second']);
  });
});

describe('optional template parts', () => {
  it('renders an absent field as empty text', () => {
    const audit = template('{node?|host}/{ses}');
    assert.deepEqual(audit.render(eventWith({ node: 'web01.corp.example', ses: '318' })), [
      'web01/318',
    ]);
    assert.deepEqual(audit.render(eventWith({ ses: '318' })), ['/318']);
    assert.deepEqual(audit.render(eventWith({ node: '', ses: '318' })), ['/318']);
  });

  it('still needs the required fields', () => {
    assert.deepEqual(template('{node?|host}/{ses}').render(eventWith({ node: 'web01' })), []);
  });

  it('rejects a bare question mark', () => {
    assert.equal(compileTemplate('{?}/{ses}'), 'empty field name in template "{?}/{ses}"');
  });
});
