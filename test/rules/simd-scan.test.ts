import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { candidateBlocks, type ScanString, simdTextTest } from '../../src/rules/simd-scan.js';

/**
 * The SIMD search only proposes where the expression runs, so the tests of `simdTextTest`
 * compare its result with the expression's on the same text. The texts are real records, texts
 * cut at every length around the 16-character blocks, characters beyond ASCII whose low byte is
 * a searched character, and texts larger than the memory the search starts with. The tests of
 * `candidateBlocks` check the blocks it proposes.
 */

const MIMIKATZ_FACTORS: ScanString[] = [
  { text: '::', foldCase: true },
  { text: 'kiwi', foldCase: true },
  { text: 'mimi', foldCase: true },
  { text: '\\u', foldCase: false },
];

/** The record text expression that literal-lists.ts builds for these factors. */
const MIMIKATZ_TEXT = /::|[kK][iI][wW][iI]|[mM][iI][mM][iI]|\\u[0-9a-fA-F]{4}/;

function mimikatzTest(): (text: string) => boolean {
  const test = simdTextTest(MIMIKATZ_FACTORS, MIMIKATZ_TEXT);
  assert.ok(test, 'Node.js 20 runs WebAssembly SIMD');
  return test;
}

/** A small deterministic generator, so that a failing text can be made again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const PIECES = [
  ':',
  '::',
  'k',
  'KiWi',
  'kiw',
  'mImI',
  'mim',
  '\\',
  '\\u',
  '\\u00e9',
  '\\U0041',
  '\\u12G4',
  'a',
  'Z',
  ' ',
  '"',
  '{',
  '0',
  'é',
  'ĺ',
  'ź',
  'K',
  'İ',
  '😀',
  '\u3a3a',
  '\u013a\u013a',
];

function randomText(next: () => number, pieces: number): string {
  let text = '';
  for (let index = 0; index < pieces; index++) {
    text += PIECES[Math.floor(next() * PIECES.length)];
  }
  return text;
}

describe('simdTextTest', () => {
  it('agrees with the expression on real records', () => {
    const test = mimikatzTest();
    const files = [
      'windows/otrf-covenant-copy-smb.pgustavo.ndjson',
      'windows/otrf-rdp-lsass-dump.pgustavo.ndjson',
      'evtxecmd/otrf-covenant.json',
    ];
    let lines = 0;
    for (const file of files) {
      const url = new URL(`../fixtures/${file}`, import.meta.url);
      for (const line of readFileSync(url, 'utf8').split('\n')) {
        lines++;
        assert.equal(test(line), MIMIKATZ_TEXT.test(line), line.slice(0, 200));
        // Each record again with a keyword placed at each end.
        const marked = `SEKURLSA::${line}MiMiDrv`;
        assert.equal(test(marked), true);
      }
    }
    assert.ok(lines > 10);
  });

  it('agrees on every length around blocks', () => {
    const test = mimikatzTest();
    for (let length = 0; length <= 70; length++) {
      for (const needle of ['::', 'KIWI', 'mimi', '\\u00AB', '\\u00A', '\\Users', ': :']) {
        for (let at = 0; at + needle.length <= length; at++) {
          const text = `${'x'.repeat(at)}${needle}${'y'.repeat(length - at - needle.length)}`;
          assert.equal(test(text), MIMIKATZ_TEXT.test(text), JSON.stringify(text));
        }
      }
    }
  });

  it('agrees on random texts beyond ASCII', () => {
    const test = mimikatzTest();
    const next = random(7);
    for (let round = 0; round < 20_000; round++) {
      const text = randomText(next, Math.floor(next() * 40));
      assert.equal(test(text), MIMIKATZ_TEXT.test(text), JSON.stringify(text));
    }
  });

  it('ignores bytes of an earlier text', () => {
    const test = mimikatzTest();
    assert.equal(test(`${'a'.repeat(100)}sekurlsa::logonpasswords`), true);
    assert.equal(test('a'.repeat(50)), false);
    assert.equal(test(''), false);
  });

  it('grows its memory for large texts', () => {
    const test = mimikatzTest();
    const large = 'C:\\\\Windows\\\\System32 '.repeat(200_000);
    assert.equal(test(large), false);
    assert.equal(test(`${large}Kiwi`), true);
    assert.equal(test(`${large}\\u004b`), true);
    assert.equal(test(`${large}\\u004`), false);
  });

  it('keeps case for unfolded strings', () => {
    const expression = /AbC|x[yY]/;
    const test = simdTextTest(
      [
        { text: 'AbC', foldCase: false },
        { text: 'xy', foldCase: true },
      ],
      expression,
    );
    assert.ok(test);
    for (const text of ['AbC', 'abc', 'ABC', 'xY', 'XY', 'zzzzzzzzzzzzzzzzzzzzAbC', 'xx']) {
      assert.equal(test(text), expression.test(text), text);
    }
  });

  it('rejects strings it cannot search', () => {
    const many = Array.from({ length: 9 }, (_, index) => ({ text: `s${index}`, foldCase: true }));
    assert.equal(simdTextTest(many, /s\d/), undefined);
    assert.equal(simdTextTest([{ text: 'café', foldCase: true }], /café/), undefined);
    assert.equal(simdTextTest([{ text: '', foldCase: true }], /x/), undefined);
    assert.equal(simdTextTest([], /x/), undefined);
  });
});

describe('candidateBlocks', () => {
  function search(strings: ScanString[]): (text: string) => number {
    const found = candidateBlocks(strings);
    assert.ok(found, 'Node.js 20 runs WebAssembly SIMD');
    return found;
  }

  it('gives the block where a string starts', () => {
    const find = search(MIMIKATZ_FACTORS);
    assert.equal(find(`${'x'.repeat(40)}::`), 32);
    assert.equal(find(`${'x'.repeat(15)}::`), 0);
    assert.equal(find(`${'x'.repeat(16)}mImI`), 16);
    assert.equal(find(`${'x'.repeat(100)}\\u00e9${'y'.repeat(40)}`), 96);
  });

  it('gives the first block at every place in rounds of blocks', () => {
    const find = search(MIMIKATZ_FACTORS);
    for (let at = 0; at < 200; at++) {
      const filler = 'x'.repeat(at);
      const block = at - (at % 16);
      assert.equal(find(`${filler}mimi`), block, `mimi at ${at}`);
      // A later start in the same round or the next does not hide the first.
      assert.equal(find(`${filler}::${'y'.repeat(37)}kiwi`), block, `:: at ${at}`);
      // A near miss, whose first pass passes but whose full compare fails, is not proposed.
      const escaped = at + 25 - ((at + 25) % 16);
      assert.equal(find(`${filler}mimX${'y'.repeat(21)}\\u0041`), escaped, `near miss at ${at}`);
    }
  });

  it('gives -1 when no string may start', () => {
    const find = search(MIMIKATZ_FACTORS);
    assert.equal(find(''), -1);
    assert.equal(find('x'.repeat(70)), -1);
    assert.equal(find('C:\\\\Users\\\\kiw mim : :'), -1);
  });

  it('folds case only for folded strings', () => {
    const find = search([
      { text: 'kiwi', foldCase: false },
      { text: '\\u', foldCase: false },
    ]);
    assert.equal(find('KIWI'), -1);
    assert.equal(find('kiwi'), 0);
    assert.equal(find(`${'x'.repeat(20)}\\U0041`), -1);
    const folded = search([{ text: 'kiwi', foldCase: true }]);
    assert.equal(folded(`${'x'.repeat(20)}KiWi`), 16);
  });

  it('compares only the first four characters', () => {
    const find = search([{ text: 'sekurlsa::', foldCase: true }]);
    assert.equal(find(`${'x'.repeat(33)}SEKUxxxx`), 32);
    assert.equal(find(`${'x'.repeat(33)}SEKxxxxx`), -1);
  });

  it('compiles eight long strings', () => {
    const strings = Array.from({ length: 8 }, (_, index) => ({
      text: `${String.fromCharCode(0x21 + index)}long-string-${index}`,
      foldCase: index % 2 === 0,
    }));
    const find = search(strings);
    assert.equal(find(`${'x'.repeat(50)}${strings[7]?.text}`), 48);
  });
});
