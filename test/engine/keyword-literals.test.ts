import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRules, matchTitles, sysmonEvent } from '../helpers/engine.js';

/**
 * Keyword lists match any value of the record, ignoring case unless `|cased`, whether the
 * literals are ASCII (one case-insensitive expression) or not (lower-cased values).
 */

function keywordRule(title: string, key: string, values: string[]): string {
  return `
title: ${title}
logsource:
  product: windows
detection:
  ${key}:
${values.map((value) => `    - '${value}'`).join('\n')}
  condition: ${key}
`;
}

const set = loadRules({
  'ascii.yml': keywordRule('Ascii keywords', 'keywords', [
    'sekurlsa::',
    'Kiwi Legit Printer',
    'lsadump::',
    'event::clear',
  ]),
  'unicode.yml': keywordRule('Unicode keywords', 'keywords', ['Überwachung', 'straße']),
  'cased.yml': `
title: Cased keywords
logsource:
  product: windows
detection:
  keywords:
    '|cased':
      - 'SeKurLsa::'
      - 'LsaDump::'
      - 'Event::Clear'
  condition: keywords
`,
});

describe('keyword literal lists', () => {
  it('loads the rules', () => {
    assert.deepEqual(
      set.problems.filter((problem) => problem.severity === 'error'),
      [],
    );
  });

  it('matches any value in any case', () => {
    const [titles] = matchTitles(set, [
      sysmonEvent(1, { CommandLine: 'mimikatz.exe "SEKURLSA::logonpasswords"', Image: 'a.exe' }),
    ]);
    assert.deepEqual(titles, ['Ascii keywords']);
  });

  it('matches a literal with spaces inside one value', () => {
    const [titles] = matchTitles(set, [sysmonEvent(1, { PrinterName: 'kiwi legit printer' })]);
    assert.deepEqual(titles, ['Ascii keywords']);
  });

  it('does not match across two values', () => {
    const [titles] = matchTitles(set, [sysmonEvent(1, { A: 'lsadump', B: '::sam' })]);
    assert.deepEqual(titles, []);
  });

  it('folds non-ASCII literals by lower-casing', () => {
    const [titles] = matchTitles(set, [sysmonEvent(1, { Message: 'ÜBERWACHUNG aktiv' })]);
    assert.deepEqual(titles, ['Unicode keywords']);
  });

  it('keeps case with the cased modifier', () => {
    const [exact, other] = matchTitles(set, [
      sysmonEvent(1, { CommandLine: 'run Event::Clear now' }),
      sysmonEvent(1, { CommandLine: 'run event::clear now' }),
    ]);
    assert.deepEqual(exact, ['Ascii keywords', 'Cased keywords']);
    assert.deepEqual(other, ['Ascii keywords']);
  });
});
