import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSigmaString, type Token } from '../../src/rules/values.js';

/** Sigma string values as tokens: escapes make `*`, `?` and `\` literal, other `\` stay. */

const text = (value: string): Token => ({ kind: 'text', text: value });
const ANY: Token = { kind: 'any' };
const ONE: Token = { kind: 'one' };

describe('parseSigmaString', () => {
  it('reads wildcards and escapes', () => {
    const cases: [string, Token[]][] = [
      ['', []],
      ['cmd.exe', [text('cmd.exe')]],
      ['C:\\Windows\\', [text('C:\\Windows\\')]],
      ['*\\cmd.exe', [ANY, text('\\cmd.exe')]],
      ['a*b?c', [text('a'), ANY, text('b'), ONE, text('c')]],
      ['**', [ANY, ANY]],
      ['\\*literal\\?', [text('*literal?')]],
      ['end\\\\*', [text('end\\'), ANY]],
      ['\\\\\\*', [text('\\*')]],
      ['trailing\\', [text('trailing\\')]],
      ['?', [ONE]],
    ];
    for (const [value, expected] of cases) {
      assert.deepEqual(parseSigmaString(value), expected, JSON.stringify(value));
    }
  });
});
