import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Detector } from '../../src/engine/detector.js';
import type { Event } from '../../src/model/event.js';
import { loadRuleTexts } from '../../src/rules/load.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';
import type { DetectionRule } from '../../src/rules/rule.js';

/**
 * Long texts in the rule index: a rule with many word keys on a field runs directly on a long
 * text, the others are found by search, and with too many such rules the text is scanned.
 */

function rule(title: string, values: readonly string[]): string {
  const list = values.map((value) => `      - '${value}'`).join('\n');
  return `
title: ${title}
logsource:
  product: indexproduct
detection:
  selection:
    Text|contains:
${list}
  condition: selection
`;
}

/** Returns a rule with `count` whole words on `Text`, of which `word<prefix>00` is the first. */
function manyWords(prefix: string, count: number): string {
  const words = Array.from(
    { length: count },
    (_, at) => ` word${prefix}${String(at).padStart(2, '0')} `,
  );
  return rule(`Many words ${prefix}`, words);
}

const FEW = [
  rule('One word', [' beta ']),
  rule('Word start', ['Get-ADPrincipal']),
  rule('Word end', ['xyzFromBase64 ']),
];

function detector(texts: readonly string[]): Detector {
  const set = loadRuleTexts(
    texts.map((text, at) => ({ file: `rule-${at}.yml`, text })),
    { placeholders: placeholderLookup({}) },
  );
  assert.deepEqual(set.problems, []);
  const mappings = buildMappingTable([{ logsource: { product: 'indexproduct' } }]);
  return new Detector(set.rules as DetectionRule[], mappings, {
    placeholders: placeholderLookup({}),
    maxFieldLength: 1 << 20,
  });
}

function event(text: string): Event {
  return {
    time: 0,
    timeText: '0',
    format: 'test',
    logsource: { product: 'indexproduct' },
    fields: { Text: text },
    core: {},
    extra: {},
    origin: { file: 'test', record: 1, line: 1 },
    summary: '',
  };
}

/** Titles of the rules the text matches, and the rules evaluated for it. */
function detect(subject: Detector, text: string): { titles: string[]; evaluated: number } {
  const before = subject.stats.evaluations_total;
  const out: number[] = [];
  subject.detect(event(text), out);
  const titles = out.map((index) => subject.rules[index]?.meta.title ?? '').sort();
  return { titles, evaluated: subject.stats.evaluations_total - before };
}

const FILLER = ' filler text'.repeat(30);

describe('rule index on long texts', () => {
  it('runs many-word rules directly', () => {
    const subject = detector([...FEW, manyWords('a', 30)]);
    const long = `${FILLER} wordA07 and Get-ADPrincipalGroupMembership, abcxyzfrombase64 .`;
    assert.ok(long.length >= 256);
    assert.deepEqual(detect(subject, long), {
      titles: ['Many words a', 'Word end', 'Word start'],
      evaluated: 3,
    });
    // Only the rule run directly is evaluated when no searched key is present.
    assert.deepEqual(detect(subject, `${FILLER} Beta2 getxADPrincipal`), {
      titles: [],
      evaluated: 1,
    });
    assert.deepEqual(detect(subject, `${FILLER} BETA .`).titles, ['One word']);
  });

  it('scans when too many run directly', () => {
    const many = ['a', 'b', 'c', 'd', 'e', 'f'].map((prefix) => manyWords(prefix, 30));
    const subject = detector([...FEW, ...many]);
    assert.deepEqual(detect(subject, `${FILLER} wordF19 BETA .`), {
      titles: ['Many words f', 'One word'],
      evaluated: 2,
    });
    assert.deepEqual(detect(subject, `${FILLER} getADPrincipal`), { titles: [], evaluated: 0 });
  });

  it('finds keys in short texts', () => {
    const subject = detector([...FEW, manyWords('a', 20)]);
    assert.deepEqual(detect(subject, ' wordA19 Get-ADPrincipalX').titles, [
      'Many words a',
      'Word start',
    ]);
    assert.deepEqual(detect(subject, 'nothing here'), { titles: [], evaluated: 0 });
  });
});

describe('rule index on equal values', () => {
  const equals = (title: string, values: readonly string[]) => `
title: ${title}
logsource:
  product: indexproduct
detection:
  selection:
    Text:
${values.map((value) => `      - '${value}'`).join('\n')}
  condition: selection
`;

  it('finds values of each length', () => {
    const subject = detector([equals('Short', ['ente']), equals('Two lengths', ['ab', 'abcdef'])]);
    assert.deepEqual(detect(subject, 'ENTE'), { titles: ['Short'], evaluated: 1 });
    assert.deepEqual(detect(subject, 'AB'), { titles: ['Two lengths'], evaluated: 1 });
    assert.deepEqual(detect(subject, 'abcdef'), { titles: ['Two lengths'], evaluated: 1 });
  });

  it('finds a number written in hexadecimal', () => {
    const number = equals('Number', ['16']).replace("'16'", '16');
    const subject = detector([number]);
    assert.deepEqual(detect(subject, '0x10'), { titles: ['Number'], evaluated: 1 });
    assert.deepEqual(detect(subject, '16'), { titles: ['Number'], evaluated: 1 });
  });

  it('skips values of other lengths', () => {
    const subject = detector([equals('Short', ['ente']), equals('Two lengths', ['ab', 'abcdef'])]);
    assert.deepEqual(detect(subject, 'entente'), { titles: [], evaluated: 0 });
    assert.deepEqual(detect(subject, 'x'.repeat(600)), { titles: [], evaluated: 0 });
    assert.deepEqual(detect(subject, ''), { titles: [], evaluated: 0 });
  });
});

describe('rule index on word starts alone', () => {
  const hashRule = (at: number) => `
title: Hash ${at}
logsource:
  product: indexproduct
detection:
  selection:
    Text|contains: 'MD5=${String(at).padStart(4, '0')}abcdef'
  condition: selection
`;

  it('scans fields with enough start keys', () => {
    const subject = detector(Array.from({ length: 8 }, (_, at) => hashRule(at)));
    assert.deepEqual(detect(subject, 'SHA1=1234,MD5=9999ffff'), { titles: [], evaluated: 0 });
    assert.deepEqual(detect(subject, 'SHA1=1234,MD5=0003abcdef00'), {
      titles: ['Hash 3'],
      evaluated: 1,
    });
  });

  it('runs rules unindexed below that count', () => {
    const subject = detector(Array.from({ length: 7 }, (_, at) => hashRule(at)));
    assert.deepEqual(detect(subject, 'SHA1=1234,MD5=9999ffff'), { titles: [], evaluated: 7 });
  });
});

describe('rule index on many equal values', () => {
  it('indexes a list of 200,000 values', () => {
    const values = Array.from({ length: 200_000 }, (_, at) => `      - 'v${at}'`).join('\n');
    const subject = detector([
      `
title: Many values
logsource:
  product: indexproduct
detection:
  selection:
    Text:
${values}
  condition: selection
`,
    ]);
    assert.deepEqual(detect(subject, 'V199999'), { titles: ['Many values'], evaluated: 1 });
    assert.deepEqual(detect(subject, 'v200000'), { titles: [], evaluated: 0 });
  });
});

describe('rule index on substrings', () => {
  it('finds open words as substrings', () => {
    const subject = detector([
      rule('Certify', ['Certify']),
      rule('Tify', ['tify']),
      rule('Nop', ['-nop']),
    ]);
    assert.deepEqual(detect(subject, 'x:\\tools\\MyCERTIFYtool.exe'), {
      titles: ['Certify', 'Tify'],
      evaluated: 2,
    });
    assert.deepEqual(detect(subject, 'powershell -NoP -w 1'), { titles: ['Nop'], evaluated: 1 });
    assert.deepEqual(detect(subject, 'powershell -noprofile'), { titles: ['Nop'], evaluated: 1 });
    assert.deepEqual(detect(subject, 'certif tif nop'), { titles: [], evaluated: 0 });
  });

  it('finds keys that start inside another', () => {
    const subject = detector([rule('Juicypot', ['juicypot']), rule('Cypotato', ['cypotato'])]);
    assert.deepEqual(detect(subject, 'JuicyPotato.exe'), {
      titles: ['Cypotato', 'Juicypot'],
      evaluated: 2,
    });
  });

  it('finds a key that starts another at one place', () => {
    const subject = detector([rule('Short', ['abcd']), rule('Long', ['abcdefgh'])]);
    assert.deepEqual(detect(subject, 'xxABCDEFGHxx'), { titles: ['Long', 'Short'], evaluated: 2 });
    assert.deepEqual(detect(subject, 'xxABCDEFxx'), { titles: ['Short'], evaluated: 1 });
  });

  it('runs rules unindexed past the key limit', () => {
    const values = Array.from({ length: 2001 }, (_, at) => `k${String(at).padStart(5, '0')}`);
    const subject = detector([rule('Many substrings', values), rule('Nop', ['-nop'])]);
    // Every rule with a substring key on the crowded field runs on every event.
    assert.deepEqual(detect(subject, 'xk02000x'), { titles: ['Many substrings'], evaluated: 2 });
    assert.deepEqual(detect(subject, 'x -nop'), { titles: ['Nop'], evaluated: 2 });
  });
});

describe('rule index on regular expressions', () => {
  const regexRule = (title: string, pattern: string) => `
title: ${title}
logsource:
  product: indexproduct
detection:
  selection:
    Text|re: '${pattern}'
  condition: selection
`;

  it('keys an expression by its required literal', () => {
    const subject = detector([regexRule('Dump', String.raw`\.exe\s+\S{0,64}werfaultsecure\.exe`)]);
    assert.deepEqual(detect(subject, 'a.exe WerFaultSecure.exe 12'), { titles: [], evaluated: 1 });
    assert.deepEqual(detect(subject, 'a.exe werfaultsecure.exe 12'), {
      titles: ['Dump'],
      evaluated: 1,
    });
    assert.deepEqual(detect(subject, 'a.exe werfault.exe 12'), { titles: [], evaluated: 0 });
  });

  it('keys a case-insensitive expression', () => {
    const subject = detector([regexRule('Dump', String.raw`(?i)\.exe\s+werfaultsecure\.exe`)]);
    assert.deepEqual(detect(subject, 'A.EXE WERFAULTSECURE.EXE'), {
      titles: ['Dump'],
      evaluated: 1,
    });
    assert.deepEqual(detect(subject, 'A.EXE WERFAULT.EXE'), { titles: [], evaluated: 0 });
  });

  it('runs an expression without a literal unindexed', () => {
    const subject = detector([regexRule('Any', 'a|b')]);
    assert.deepEqual(detect(subject, 'xyz'), { titles: [], evaluated: 1 });
  });
});
