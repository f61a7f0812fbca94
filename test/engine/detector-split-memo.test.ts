import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Detector, DetectorOptions } from '../../src/engine/detector.js';
import {
  allEqualities,
  anyEqualities,
  type Equalities,
  equalitiesOf,
} from '../../src/rules/index-keys.js';
import { productDetector, productEvent } from '../helpers/engine.js';

/**
 * The detector's split of a mapping's rules by a required field (engine/index-partition.ts) and
 * its memo of verdicts by the values that rules read (engine/verdict-memo.ts).
 */

const PRODUCT = 'splitproduct';

function rule(title: string, detection: string): string {
  return `
title: ${title}
logsource:
  product: ${PRODUCT}
detection:
${detection}
`;
}

function detector(texts: readonly string[], options: Partial<DetectorOptions> = {}): Detector {
  return productDetector(PRODUCT, texts, options);
}

/** Titles of the rules the event matches, and the rules evaluated for it. */
function detect(subject: Detector, fields: Record<string, unknown>) {
  const before = subject.stats.evaluations_total;
  const out: number[] = [];
  subject.detect(productEvent(PRODUCT, fields), out);
  const titles = out.map((index) => subject.rules[index]?.meta.title ?? '').sort();
  return { titles, evaluated: subject.stats.evaluations_total - before };
}

const SHARE = rule(
  'Share access',
  `  selection:
    EventID: 5145
    ShareName: '\\\\*\\IPC$'
  condition: selection`,
);
const LOGON = rule(
  'Remote logon',
  `  selection:
    EventID:
      - 4624
      - 4625
    LogonType: 10
  condition: selection`,
);
const ANY_ID = rule(
  'Tool anywhere',
  `  selection:
    Image|endswith: '\\psexec.exe'
  condition: selection`,
);

describe('equality facts', () => {
  const facts = (entries: [string, string[]][]): Equalities =>
    new Map(entries.map(([key, values]) => [key, new Set(values)]));

  it('takes a single equality requirement', () => {
    const eventId = new Map([['=EventID', new Set(['4624'])]]);
    assert.deepEqual(equalitiesOf(eventId), eventId);
    assert.equal(equalitiesOf(new Map([['~Image', new Set(['psexec'])]])).size, 0);
    const two = new Map([
      ['=EventID', new Set(['4624'])],
      ['=LogonType', new Set(['10'])],
    ]);
    assert.equal(equalitiesOf(two).size, 0);
  });

  it('joins AND facts, keeping smaller sets', () => {
    const joined = allEqualities([
      facts([['=EventID', ['1', '2']]]),
      facts([
        ['=EventID', ['2']],
        ['=User', ['x']],
      ]),
    ]);
    assert.deepEqual(
      joined,
      facts([
        ['=EventID', ['2']],
        ['=User', ['x']],
      ]),
    );
  });

  it('keeps only the fields of an OR that each alternative has', () => {
    const joined = anyEqualities([
      facts([
        ['=EventID', ['1']],
        ['=User', ['x']],
      ]),
      facts([['=EventID', ['2']]]),
    ]);
    assert.deepEqual(joined, facts([['=EventID', ['1', '2']]]));
    assert.equal(anyEqualities([facts([['=EventID', ['1']]]), undefined]).size, 0);
  });
});

describe('rule index split by event id', () => {
  it('shows id rules and common rules', () => {
    const subject = detector([SHARE, LOGON, ANY_ID]);
    const share = { EventID: 5145, ShareName: '\\\\dc\\IPC$', Image: 'c:\\x.exe' };
    assert.deepEqual(detect(subject, share), { titles: ['Share access'], evaluated: 1 });
    const logon = { EventID: 4625, LogonType: 10, ShareName: '\\\\dc\\IPC$' };
    assert.deepEqual(detect(subject, logon), { titles: ['Remote logon'], evaluated: 1 });
    const other = { EventID: 4688, ShareName: '\\\\dc\\IPC$', Image: 'c:\\PsExec.exe' };
    assert.deepEqual(detect(subject, other), { titles: ['Tool anywhere'], evaluated: 1 });
  });

  it('finds an id written as text or in hexadecimal', () => {
    const subject = detector([SHARE, LOGON]);
    const logon = { EventID: '0x1210', LogonType: '10' };
    assert.deepEqual(detect(subject, logon).titles, ['Remote logon']);
    assert.deepEqual(detect(subject, { EventID: '4624', LogonType: 10 }).titles, ['Remote logon']);
  });

  it('finds an infinite id written as an overflowing number', () => {
    const infinite = rule(
      'Infinite',
      `  selection:
    EventID: .inf
  condition: selection`,
    );
    const subject = detector([infinite]);
    assert.deepEqual(detect(subject, { EventID: '1e400' }).titles, ['Infinite']);
    assert.deepEqual(detect(subject, { EventID: `0x${'f'.repeat(300)}` }).titles, ['Infinite']);
    assert.deepEqual(detect(subject, { EventID: '-1e400' }).titles, []);
  });

  it('keeps a rule whose alternatives need no id apart from the split', () => {
    const either = rule(
      'Either',
      `  by_id:
    EventID: 5145
  by_name:
    ShareName: 'ADMIN$'
  condition: by_id or by_name`,
    );
    const subject = detector([SHARE, either]);
    assert.deepEqual(detect(subject, { EventID: 1, ShareName: 'ADMIN$' }).titles, ['Either']);
    assert.deepEqual(detect(subject, { EventID: 5145, ShareName: 'x' }).titles, ['Either']);
  });
});

describe('verdict memo', () => {
  const KEYWORD = rule(
    'Keyword',
    `  keywords:
    - 'mimikatz'
  condition: keywords`,
  );

  it('reuses the verdicts of an event with the same values', () => {
    const subject = detector([SHARE, LOGON, ANY_ID]);
    const fields = { EventID: 4624, LogonType: 10, Message: 'first' };
    for (let pass = 1; pass <= 3; pass++) {
      // The message is read by no rule, so it does not stop the reuse.
      const result = detect(subject, { ...fields, Message: `pass ${pass}` });
      assert.deepEqual(result.titles, ['Remote logon']);
    }
    assert.equal(subject.stats.verdicts_reused_total, 1);
    assert.deepEqual(detect(subject, { ...fields, LogonType: 3 }).titles, []);
    assert.equal(subject.stats.verdicts_reused_total, 1);
  });

  it('runs keyword rules on every event', () => {
    const subject = detector([LOGON, KEYWORD]);
    const fields = { EventID: 4624, LogonType: 10, Message: 'nothing' };
    for (let pass = 1; pass <= 3; pass++) detect(subject, fields);
    assert.equal(subject.stats.verdicts_reused_total, 1);
    const both = detect(subject, { ...fields, Message: 'ran mimikatz' });
    assert.deepEqual(both.titles, ['Keyword', 'Remote logon']);
    assert.equal(subject.stats.verdicts_reused_total, 2);
  });

  it('tells a number from its text', () => {
    const subject = detector([LOGON]);
    for (let pass = 1; pass <= 3; pass++) detect(subject, { EventID: 4624, LogonType: 10 });
    assert.deepEqual(detect(subject, { EventID: 4624, LogonType: '10' }).titles, ['Remote logon']);
    assert.equal(subject.stats.verdicts_reused_total, 1);
  });

  it('runs time-limited expressions on every event', () => {
    const backreference = rule(
      'Backreference',
      `  selection:
    EventID: 1
    CommandLine|re: '(a+)+\\1$'
  condition: selection`,
    );
    const subject = detector([backreference], { regex: { budgetMs: 20, disableAfter: 2 } });
    try {
      const short = { EventID: 1, CommandLine: 'aaaa', User: 'u1' };
      for (let pass = 1; pass <= 3; pass++) {
        assert.deepEqual(detect(subject, short).titles, ['Backreference']);
      }
      // Two evaluations over the budget stop the expression for the rule.
      const slow = { EventID: 1, CommandLine: `${'a'.repeat(40)}!`, User: 'u1' };
      for (let pass = 1; pass <= 2; pass++) assert.deepEqual(detect(subject, slow).titles, []);
      assert.equal(subject.regexTimeouts.total, 2);
      // A stopped expression gives no match, for values seen before as for new ones.
      assert.deepEqual(detect(subject, short).titles, []);
      assert.deepEqual(detect(subject, { ...short, User: 'u2' }).titles, []);
      assert.equal(subject.stats.verdicts_reused_total, 0);
    } finally {
      subject.close();
    }
  });

  it('keeps a memo per event id', () => {
    // Thirty ids whose rules read a field each: more fields than one memo reads together.
    const perId = Array.from({ length: 30 }, (_, at) =>
      rule(
        `Id ${at}`,
        `  selection:
    EventID: ${1000 + at}
    Field${at}: 'bad'
  condition: selection`,
      ),
    );
    const subject = detector([...perId, ANY_ID]);
    const event = (at: number, value: string) => ({
      EventID: 1000 + at,
      [`Field${at}`]: value,
      Field29: 'read by the rule of id 1029 only',
      Image: 'c:\\tools\\other.exe',
    });
    for (let pass = 1; pass <= 3; pass++) {
      assert.deepEqual(detect(subject, event(3, 'bad')).titles, ['Id 3']);
      assert.deepEqual(detect(subject, event(4, 'good')).titles, []);
    }
    // The first two passes ran the rules, and the third reused both verdicts.
    assert.equal(subject.stats.verdicts_reused_total, 2);
    const reused = detect(subject, event(3, 'bad'));
    assert.deepEqual(reused, { titles: ['Id 3'], evaluated: 0 });
    // A value that a rule of the part reads is new: its rules run again.
    assert.deepEqual(detect(subject, event(3, 'worse')).titles, []);
    assert.deepEqual(detect(subject, { ...event(3, 'bad'), Image: 'c:\\psexec.exe' }).titles, [
      'Id 3',
      'Tool anywhere',
    ]);
  });

  it('remembers ids without a part', () => {
    const subject = detector([SHARE, LOGON, ANY_ID]);
    for (let pass = 1; pass <= 3; pass++) {
      assert.deepEqual(detect(subject, { EventID: 7, Image: 'c:\\a.exe' }).titles, []);
    }
    assert.equal(subject.stats.verdicts_reused_total, 1);
    const tool = { EventID: 7, Image: 'c:\\psexec.exe' };
    assert.deepEqual(detect(subject, tool).titles, ['Tool anywhere']);
  });

  it('gives the same verdicts when values never repeat', () => {
    const subject = detector([SHARE, LOGON, ANY_ID]);
    for (let at = 0; at < 10_000; at++) {
      const image = at % 7 === 0 ? `c:\\${at}\\psexec.exe` : `c:\\${at}\\other.exe`;
      const expected = at % 7 === 0 ? ['Tool anywhere'] : [];
      assert.deepEqual(detect(subject, { EventID: 1, Image: image }).titles, expected);
    }
    assert.equal(subject.stats.verdicts_reused_total, 0);
  });
});
