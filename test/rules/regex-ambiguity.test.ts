import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findAmbiguousRepetition } from '../../src/rules/regex-ambiguity.js';
import type { RegexFlags } from '../../src/rules/regex-syntax.js';

/**
 * Each expression expected to be reported here was timed on Node 20 without V8's linear-time
 * fallback: on its repeated text followed by one character that fails, the time of `test` grew
 * exponentially with the length of the text, or as a polynomial of degree 4 or more for loops
 * that trade text. Counts whose ways to match multiply took from 0.6 s to minutes on 2,000
 * characters of runs that fail. Those expected not to be reported have one way to match each
 * text, nothing after them that can fail, fewer than five loops that trade text, or counts that
 * explore at most 2^17 ways on a failing run.
 */

const PLAIN: RegexFlags = { ignoreCase: false, dotAll: false, unicode: false };

/** Returns the text of the repetition reported for `source`, or undefined. */
function reported(source: string, flags: RegexFlags = PLAIN): string | undefined {
  // PCRE spellings (`(?P<name>`) are what translateRegex rewrites; the rest must compile.
  if (!source.includes('(?P'))
    new RegExp(source, `${flags.ignoreCase ? 'i' : ''}${flags.dotAll ? 's' : ''}`);
  const found = findAmbiguousRepetition(source, flags);
  return found && source.slice(found.start, found.end);
}

function assertReported(cases: [string, string][]): void {
  for (const [source, repetition] of cases) {
    assert.equal(reported(source), repetition, source);
  }
}

function assertNotReported(sources: string[]): void {
  for (const source of sources) assert.equal(reported(source), undefined, source);
}

describe('findAmbiguousRepetition', () => {
  it('reports alternatives that overlap', () => {
    assertReported([
      ['^(a|a?){20,}b$', '(a|a?){20,}'],
      ['^(a|a?)+b$', '(a|a?)+'],
      ['^(a|a?)*?b$', '(a|a?)*?'],
      ['^(a|a?){2,}b$', '(a|a?){2,}'],
      ['(a|aa)*c', '(a|aa)*'],
      ['(\\d|\\w)+!', '(\\d|\\w)+'],
      ['(?:\\\\[a-z]+|\\\\[a-z0-9]+)+$', '(?:\\\\[a-z]+|\\\\[a-z0-9]+)+'],
    ]);
  });

  it('reports repetitions nested in repetitions', () => {
    assertReported([
      ['^(([a-z])+.)+[A-Z]([a-z])+$', '(([a-z])+.)+'],
      ['^(a+)+$', '(a+)+'],
      ['(x+x+)+y', '(x+x+)+'],
      ['((?:a|b)*)*c', '((?:a|b)*)*'],
      ['(a{1,})+b', '(a{1,})+'],
      ['(?:a{1,3})+b', '(?:a{1,3})+'],
      ['(\\w+\\s?)+$', '(\\w+\\s?)+'],
      ['(\\d+\\w)+$', '(\\d+\\w)+'],
      ['(?:a?b?)*c', '(?:a?b?)*'],
      ['(?:.*\\)){1,}.*"', '(?:.*\\)){1,}'],
      ['(?:(?:ab)*)*c', '(?:(?:ab)*)*'],
    ]);
  });

  it('reads a count above 16 as a loop', () => {
    assertReported([
      ['(.*a){20}', '(.*a){20}'],
      ['(a|a){1,17}b', '(a|a){1,17}'],
      ['(?:[\\s\\S]{1,16}){1,20}$', '(?:[\\s\\S]{1,16}){1,20}'],
    ]);
    assertNotReported(['(a|a){1,16}b', '(?:a{2})+b', '(?:[0-9a-f]{2}[:-]?){6,}$']);
  });

  it('reports counted copies that trade text', () => {
    // A failing match tries every split of the text between the copies' loops, which takes
    // polynomial time of a degree that grows with the count: `(.*a){12}x` takes seconds over 30
    // characters, `(.*?,){11}P` over 30 commas.
    assertReported([
      ['(.*a){12}x', '(.*a){12}'],
      ['(.*?,){11}P', '(.*?,){11}'],
      ['(.*a){5}x', '(.*a){5}'],
      ['(.*a){1,8}x', '(.*a){1,8}'],
      ['(.*a){12}$', '(.*a){12}'],
      ['^(?:[^,]*,?){8};', '(?:[^,]*,?){8}'],
      ['(\\w+\\s?){6}x', '(\\w+\\s?){6}'],
      ['(?:[a-z]+\\d*){10}x', '(?:[a-z]+\\d*){10}'],
      ['(?:\\S*\\s*){16}x', '(?:\\S*\\s*){16}'],
      ['((.*),){7}end', '((.*),){7}'],
    ]);
  });

  it('ignores counted copies that cannot trade text', () => {
    assertNotReported([
      // Below five copies the degree stays under 4.
      '(.*a){4}x',
      // A separator that the loop before it cannot read keeps each copy's text its own.
      '([^,]*,){8}x',
      '(\\w+\\s){6}x',
      '(?:\\\\[^\\\\]+){6}x',
      '(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}x',
      '([0-9]{1,3}\\.){3}[0-9]{1,3}x',
      // Nothing after the count can fail.
      '(.*a){12}',
      '(?=(.*a){12})',
    ]);
  });

  it('ignores repetitions with one way to match', () => {
    assertNotReported([
      '(\\w+\\s+)+$',
      '(a|ab)*c',
      '(ab|cd)+$',
      '([^,]*,)+x',
      '(\\s*,\\s*\\w+)+$',
      '(\\d|[a-f])+!',
      '^(?:\\S+\\s+){2,}\\S+$',
      '(?:(a|b|ab){2}-)+$',
      '^(?:[A-Za-z]:)?(?:\\\\[^\\\\]+)+$',
      '(.){200,}',
      '"(?:\\{\\d\\})+"\\s*-f',
      `-(W|R)\\s?(\\s|"|')([0-9a-fA-F]{2}\\s?){2,20}(\\s|"|')`,
    ]);
  });

  it('ignores a repetition that nothing after can fail', () => {
    assertNotReported([
      '(a+)+',
      'x(\\w+\\s?)+',
      '(?=(a+)+)b',
      '(?:x(a|a)+){1,2}',
      '(a+)+.*',
      // The alternatives together read any character, so the loop reads to the end, where $
      // matches.
      '(.|\\s)*$',
      '(?:[\\s\\S]|\\n)+\\s*\\z',
    ]);
    assertReported([
      ['(?:x(a|a)+){2}', '(a|a)+'],
      ['(?!(a|a)+$)', '(a|a)+'],
      ['(?<=x(a+)+)', '(a+)+'],
      ['(a|a){20,}', '(a|a){20,}'],
      ['(a+)+\\b', '(a+)+'],
      ['(\\w|\\d)*$', '(\\w|\\d)*'],
      ['(?:(?:.|\\s){1,20}x)+$', '(?:.|\\s){1,20}'],
      ['(?:[\\s\\S]|\\n)+x$', '(?:[\\s\\S]|\\n)+'],
    ]);
  });

  it('reports loops written out that trade text', () => {
    // `.*a.*a.*a.*a.*x` takes 0.6 s on 500 characters of text where 1 in 25 is `a`, and
    // `\w*\w*\w*\w*\w*!` 0.8 s on 50 letters.
    assertReported([
      ['.*a.*a.*a.*a.*a.*x', '.*a.*a.*a.*a.*a.*'],
      ['.*a.*a.*a.*a.*x', '.*a.*a.*a.*a.*'],
      ['^.*a.*a.*a.*a.*a.*x', '.*a.*a.*a.*a.*a.*'],
      ['\\w*\\w*\\w*\\w*\\w*!', '\\w*\\w*\\w*\\w*\\w*'],
      ['.*,.*,.*,.*,.*,.*;', '.*,.*,.*,.*,.*,.*'],
      ['\\S+\\s*\\S+\\s*\\S+\\s*\\S+\\s*\\S+\\s*=', '\\S+\\s*\\S+\\s*\\S+\\s*\\S+\\s*\\S+'],
      // Distinct texts between the loops trade too, on a text that repeats each of them.
      ['.*a.*b.*c.*d.*e.*x', '.*a.*b.*c.*d.*e.*'],
      ['.*cmd.*/c.*echo.*>.*\\.bat.*', '.*cmd.*/c.*echo.*>.*'],
      // Counted copies and written-out loops add up to one chain.
      ['(?:.*a){3}.*a.*a.*x', '(?:.*a){3}.*a.*a.*'],
      // `$` fails before a line break, where `.` stops.
      ['.*a.*a.*a.*a.*a.*$', '.*a.*a.*a.*a.*a.*'],
    ]);
  });

  it('ignores written-out loops that are few, separate or followed by nothing that fails', () => {
    assertNotReported([
      '.*\\\\cmd\\.exe.*/c.*',
      '.*a.*b.*c',
      '.*a.*a.*a.*x',
      '.*cmd.*/c.*echo.*\\.bat',
      // A text with enough `a` matches, so a failing one has few ways to split.
      '.*a.*a.*a.*a.*a',
      '.*a.*a.*a.*a.*a.*',
      '\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+',
      // Separators that the loops cannot read keep each loop's text its own.
      '[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,x',
      '\\d+\\.\\d+\\.\\d+\\.\\d+\\.\\d+x',
      '[a-z]+\\d+[a-z]+\\d+[a-z]+\\d+[a-z]+\\d+[a-z]+x',
    ]);
    // Under `s`, the last `.*` reads to the end of the text, where `$` matches.
    assert.equal(reported('.*a.*a.*a.*a.*a.*$', { ...PLAIN, dotAll: true }), undefined);
  });

  it('reports counts whose ways to match multiply', () => {
    // On 2,000 characters of runs of 20 `a` and a `!`, `(a{1,10}){1,10}b` takes 0.65 s, and
    // `(a{1,10}){1,10}$` takes 32 s on one run of 40 `a` and a `!`.
    assertReported([
      ['(a{1,10}){1,10}b', '(a{1,10}){1,10}'],
      ['(?:\\w{1,20}){1,20}!', '(?:\\w{1,20}){1,20}'],
      ['(?:\\w{1,16}){1,16}!', '(?:\\w{1,16}){1,16}'],
      ['(?:\\d{1,8}){1,8}x', '(?:\\d{1,8}){1,8}'],
      ['((a|a){1,4}){1,8}b', '((a|a){1,4}){1,8}'],
      ['(a{1,10}){1,10}$', '(a{1,10}){1,10}'],
      ['x(?:[a-z]{2,9}){2,9}\\d', '(?:[a-z]{2,9}){2,9}'],
    ]);
  });

  it('reports optional copies against a count', () => {
    // `(?:x?){15}x{15}` explores 245,759 ways on 14 `x` and takes 0.6 s on 2,000 characters of
    // such runs. `(a?){20}a{20}` takes 2 s on 19 `a`, a `!` and 19 more `a`.
    const writtenOut = `${'a?'.repeat(20)}${'a'.repeat(20)}`;
    assertReported([
      ['(a?){20}a{20}', '(a?){20}a{20}'],
      ['(?:x?){15}x{15}', '(?:x?){15}x{15}'],
      ['(b?){25}b{25}!', '(b?){25}b{25}'],
      ['(?:\\s?){20}\\s{20}x', '(?:\\s?){20}\\s{20}'],
      ['foo(a?){20}a{20}bar', '(a?){20}a{20}'],
      ['(a?){18}b', '(a?){18}'],
      ['(?:a|b?){20}c', '(?:a|b?){20}'],
      [writtenOut, writtenOut],
    ]);
  });

  it('ignores counts with few ways to match', () => {
    assertNotReported([
      '(?:x?){12}x{12}',
      '(a|a){16}b',
      '(a?){16}b',
      '(?:a{1,4}){1,4}b',
      '(?:a{1,6}){1,6}b',
      '\\w{1,8}',
      '\\w{1,8}x',
      '[a-z]{3,10}\\.exe',
      '(\\d{1,3}\\.){3}\\d{1,3}x',
      '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}x',
      '(?:\\w{1,16}\\.){1,16}x',
      '[a-zA-Z]{3,6}\\d{0,3}[a-zA-Z]{0,5}x',
      // Nothing after them can fail, or a match ends the search first.
      '(a{1,10}){1,10}',
      '(?:a|(a?){20}a{20}b)',
    ]);
  });

  it('tells one repetition from several', () => {
    const flags = PLAIN;
    assert.equal(findAmbiguousRepetition('(a{1,10}){1,10}b', flags)?.several, false);
    assert.equal(findAmbiguousRepetition('(a?){20}a{20}', flags)?.several, true);
    assert.equal(findAmbiguousRepetition('.*a.*a.*a.*a.*a.*x', flags)?.several, true);
    assert.equal(findAmbiguousRepetition('(a+)+$', flags)?.several, false);
  });

  it('follows the i and s flags', () => {
    const ignoreCase = { ...PLAIN, ignoreCase: true };
    const dotAll = { ...PLAIN, dotAll: true };

    assert.equal(reported('(a|A)+$'), undefined);
    assert.equal(reported('(a|A)+$', ignoreCase), '(a|A)+');
    assert.equal(reported('(?:[^a]|A)+$'), '(?:[^a]|A)+');
    assert.equal(reported('(?:[^a]|A)+$', ignoreCase), undefined);
    assert.equal(reported('(?:é|É)+$', ignoreCase), '(?:é|É)+');
    assert.equal(reported('(?:.|\\n)+x'), undefined);
    assert.equal(reported('(?:.|\\n)+x', dotAll), '(?:.|\\n)+');
  });

  it('reads escapes, classes and PCRE spellings', () => {
    assertReported([
      ['(?:\\x41|A)+\\z', '(?:\\x41|A)+'],
      ['(?:\\u0041|[@-B])+\\Z', '(?:\\u0041|[@-B])+'],
      ['(?:\\cJ|\\n)+$', '(?:\\cJ|\\n)+'],
      ['(?:\\101|A)+$', '(?:\\101|A)+'],
      ['(?P<word>a|\\w)+$', '(?P<word>a|\\w)+'],
      ['(?:[\\b]|\\x08)+$', '(?:[\\b]|\\x08)+'],
      ['(?:[a-\\d]|-)+$', '(?:[a-\\d]|-)+'],
    ]);
    assertNotReported(['(?:\\b|a)+$', '(?:[^\\d]|\\d)+$', '(?:[]a]|a)+$', '(?:[a-\\d]|b)+$']);
  });

  it('gives up within limits on large expressions', () => {
    const alternatives = Array.from({ length: 1000 }, () => '[a-z]').join('|');
    const sources = [
      `(?:${alternatives})+$`,
      `${'(?:'.repeat(150)}a${')+'.repeat(150)}$`,
      '((((a{16}){16}){16}){16})+$',
      `${Array.from({ length: 300 }, () => '(?:ab|cd)+').join('')}$`,
      `${'(?:a?){32}'.repeat(30)}b`,
    ];
    for (const source of sources) {
      const started = performance.now();
      assert.equal(reported(source), undefined, source.slice(0, 40));
      assert.ok(performance.now() - started < 2000, source.slice(0, 40));
    }
  });
});
