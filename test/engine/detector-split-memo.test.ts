import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Detector, type DetectorOptions } from '../../src/engine/detector.js';
import type { Event } from '../../src/model/event.js';
import {
  allEqualities,
  anyEqualities,
  type Equalities,
  equalitiesOf,
} from '../../src/rules/index-keys.js';
import { loadRuleTexts } from '../../src/rules/load.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';
import type { DetectionRule } from '../../src/rules/rule.js';

/**
 * The detector's split of a mapping's rules by a required field (engine/index-partition.ts) and
 * its memo of verdicts by the values that rules read (engine/verdict-memo.ts).
 */

function rule(title: string, detection: string): string {
  return `
title: ${title}
logsource:
  product: splitproduct
detection:
${detection}
`;
}

function detector(texts: readonly string[], options: Partial<DetectorOptions> = {}): Detector {
  const set = loadRuleTexts(
    texts.map((text, at) => ({ file: `rule-${at}.yml`, text })),
    { placeholders: placeholderLookup({}) },
  );
  // Warnings, such as one for an expression that can backtrack, do not stop a rule.
  const errors = set.problems.filter((problem) => problem.severity === 'error');
  assert.deepEqual(errors, []);
  const mappings = buildMappingTable([{ logsource: { product: 'splitproduct' } }]);
  return new Detector(set.rules as DetectionRule[], mappings, {
    placeholders: placeholderLookup({}),
    maxFieldLength: 1 << 20,
    ...options,
  });
}

function event(fields: Record<string, unknown>): Event {
  return {
    time: 0,
    timeText: '0',
    format: 'test',
    logsource: { product: 'splitproduct' },
    fields,
    core: {},
    extra: {},
    origin: { file: 'test', record: 1, line: 1 },
    summary: '',
  };
}

/** Titles of the rules the event matches, and the rules evaluated for it. */
function detect(subject: Detector, fields: Record<string, unknown>) {
  const before = subject.stats.evaluations_total;
  const out: number[] = [];
  subject.detect(event(fields), out);
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

  it('keeps every fact of an AND, the smaller set of a field in several', () => {
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
  it('shows an event the rules of its own id and the rules of no id', () => {
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
