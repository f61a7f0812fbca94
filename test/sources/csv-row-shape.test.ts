import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findJoinedStrayQuote,
  findStrayQuote,
  startsRow,
} from '../../src/sources/csv-row-shape.js';
import { githubRowShape } from '../../src/sources/github/audit-csv-shape.js';
import { m365RowShape } from '../../src/sources/m365/audit-csv-shape.js';

/** Tests, per format, that distinguish a line that starts a row from a line inside a value. */

describe('m365RowShape', () => {
  const header = [
    'RecordType',
    'CreationDate',
    'UserIds',
    'Operations',
    'AuditData',
    'ResultIndex',
  ];
  const shape = m365RowShape(header);
  const row = (date: string, operation: string, auditData: string) =>
    `"ExchangeItem","${date}","u@contoso.com","${operation}","${auditData}","1"`;

  const lines: [string, string, boolean][] = [
    ['en-US time', row('12/12/2022 3:57:57 PM', 'Set-Mailbox', '{""Id"":""a""}'), true],
    ['de-DE time', row('12.12.2022 15:57:57', 'Set-Mailbox', '{}'), true],
    ['ja-JP time', row('2022/12/12 15:57:57', 'Set-Mailbox', '{}'), true],
    ['fi-FI time', row('12.12.2022 15.57.57', 'Set-Mailbox', '{}'), true],
    ['fr-FR time with a month name', row('6 mai 2024 09:00:05', 'Set-Mailbox', '{}'), true],
    ['en-US time with a month name', row('May 6, 2024 9:00:05 AM', 'Set-Mailbox', '{}'), true],
    ['ISO time', row('2022-12-12T15:57:57.0000000Z', 'Add member to role.', '{}'), true],
    ['ISO time out of range', row('2022-13-45T15:57:57Z', 'Set-Mailbox', '{}'), false],
    ['a time without a date', row('15:57:57', 'Set-Mailbox', '{}'), false],
    ['no time', row('', 'Set-Mailbox', '{}'), false],
    ['a number as time', row('20', 'Set-Mailbox', '{}'), false],
    ['en-US date', row('12/12/2022', 'Set-Mailbox', '{}'), true],
    ['en-US date, one-digit day', row('3/1/2024', 'Set-Mailbox', '{}'), true],
    ['ISO date', row('2024-03-01', 'Set-Mailbox', '{}'), true],
    ['de-DE date', row('01.03.2024', 'Set-Mailbox', '{}'), true],
    ['date with spaced dots', row('1. 3. 2024', 'Set-Mailbox', '{}'), true],
    ['hu-HU date', row('2024. 03. 01.', 'Set-Mailbox', '{}'), true],
    ['ja-JP date', row('2024/03/01', 'Set-Mailbox', '{}'), true],
    ['nl-NL date', row('1-3-2024', 'Set-Mailbox', '{}'), true],
    ['two-digit year', row('01.03.24', 'Set-Mailbox', '{}'), true],
    ['fr-FR date with a month name', row('1 mars 2024', 'Set-Mailbox', '{}'), true],
    ['es-ES date with a month name', row('1 de marzo de 2024', 'Set-Mailbox', '{}'), true],
    ['en-US date with a month name', row('March 1, 2024', 'Set-Mailbox', '{}'), true],
    ['long date with a weekday', row('Friday, March 1, 2024', 'Set-Mailbox', '{}'), true],
    ['spreadsheet date', row('01-Mar-2024', 'Set-Mailbox', '{}'), true],
    ['zh-CN long date', row('2024年3月1日', 'Set-Mailbox', '{}'), true],
    ['a month 13', row('13/13/2024', 'Set-Mailbox', '{}'), false],
    ['a day that does not exist', row('2/30/2024', 'Set-Mailbox', '{}'), false],
    ['ISO date out of range', row('2024-02-30', 'Set-Mailbox', '{}'), false],
    ['a day 32', row('32 mars 2024', 'Set-Mailbox', '{}'), false],
    ['a one-digit year', row('1/2/3', 'Set-Mailbox', '{}'), false],
    ['a version number', row('1.2.3', 'Set-Mailbox', '{}'), false],
    ['a word', row('yesterday', 'Set-Mailbox', '{}'), false],
    ['a word and a year', row('Q1 2024', 'Set-Mailbox', '{}'), false],
    ['no operation', row('12/12/2022 3:57:57 PM', '', '{}'), false],
    ['JSON as operation', row('12/12/2022 3:57:57 PM', '{}', '{}'), false],
    ['AuditData cut', row('12/12/2022 3:57:57 PM', 'Set-Mailbox', '{""Id"":'), false],
    ['AuditData an array', row('12/12/2022 3:57:57 PM', 'Set-Mailbox', '[{}]'), false],
    ['AuditData empty', row('12/12/2022 3:57:57 PM', 'Set-Mailbox', ''), false],
    ['one cell too many', `${row('12/12/2022 3:57:57 PM', 'Set-Mailbox', '{}')},"x"`, false],
    [
      'pretty AuditData opened',
      '"ExchangeItem","12/12/2022 3:57:57 PM","u","Set-Mailbox","{',
      true,
    ],
    [
      'pretty AuditData after spaces',
      '"Item","12/12/2022 3:57:57 PM","u","Set-Mailbox","  {',
      true,
    ],
    ['UserIds opened', '"ExchangeItem","12/12/2022 3:57:57 PM","u,"Set-Mailbox","{', false],
    ['AuditData opened without JSON', '"ExchangeItem","12/12/2022 3:57:57 PM","u","Set","x', false],
    [
      'ResultIndex opened',
      `${row('12/12/2022 3:57:57 PM', 'Set-Mailbox', '{}').slice(0, -1)}`,
      true,
    ],
    ['a line of JSON', ' ""UserId"": ""u@contoso.com"",', false],
    ['the end of JSON', '}","1"', false],
  ];
  for (const [name, line, expected] of lines) {
    it(`detects a row start: ${name}`, () => {
      assert.equal(startsRow(line, shape), expected);
    });
  }

  it('matches column names without regard to case', () => {
    const lower = m365RowShape(header.map((name) => name.toLowerCase()));
    assert.equal(startsRow(row('12/12/2022 3:57:57 PM', 'Set-Mailbox', '{}'), lower), true);
    assert.equal(startsRow(row('not a time', 'Set-Mailbox', '{}'), lower), false);
  });

  it('passes over a column the header lacks', () => {
    const noTime = m365RowShape(['UserIds', 'Operations', 'AuditData']);
    assert.equal(startsRow('"u","Set-Mailbox","{}"', noTime), true);
    assert.equal(startsRow('"u","Set-Mailbox","x"', noTime), false);
  });

  const valueLines: [string, boolean][] = [
    [' ""Id"": ""a"",', true],
    ['\t""Id"": ""a"",', true],
    ['}"', true],
    ['}","1","10","id","True","Unchanged"', true],
    ['],', true],
    ['"3f2e1d0c-0000-4000-8000-000000000000","ExchangeItem"', false],
    ['rid-1,2024-05-06T09:00:00Z', false],
    ['{', false],
  ];
  for (const [line, expected] of valueLines) {
    it(`detects a line of a value: ${JSON.stringify(line.slice(0, 12))}`, () => {
      assert.equal(shape.isValueLine?.(line), expected);
    });
  }
});

describe('githubRowShape', () => {
  const shape = githubRowShape(['action', 'actor', 'created_at', 'data.note']);

  const lines: [string, string, boolean][] = [
    ['an entry', 'repo.create,alice,1714986000000,', true],
    ['an ISO time', 'repo.create,alice,2024-05-06T09:00:00Z,', true],
    ['no action', 'create,alice,1714986000000,', false],
    ['no time', 'repo.create,alice,,', false],
    ['another width', 'repo.create,alice,1714986000000', false],
    ['a note opened', 'repo.create,alice,1714986000000,"first line', true],
    ['an actor opened', 'repo.create,"alice,1714986000000,note', true],
    ['an action opened', '"repo.create,alice,1714986000000,note', true],
  ];
  for (const [name, line, expected] of lines) {
    it(`detects a row start: ${name}`, () => {
      assert.equal(startsRow(line, shape), expected);
    });
  }

  it('reads the width alone without entry columns', () => {
    const plain = githubRowShape(['org', 'repo']);
    assert.equal(startsRow('contoso,r1', plain), true);
    assert.equal(startsRow('contoso,"r1', plain), true);
    assert.equal(startsRow('contoso,"r1,x', plain), false);
    assert.equal(plain.isValueLine, undefined);
  });
});

describe('findStrayQuote', () => {
  it('finds the quote that joins two cells', () => {
    assert.deepEqual(findStrayQuote('a,"b,"c",d', 4), { line: 0, quote: 2, cell: 1, spans: false });
  });

  it('finds a quote that leaves a value open', () => {
    assert.deepEqual(findStrayQuote('a,"b,c,"d', 4), { line: 0, quote: 2, cell: 1, spans: true });
  });

  it('finds none in a row of another width', () => {
    assert.equal(findStrayQuote('a,b,c', 4), undefined);
  });
});

describe('findJoinedStrayQuote', () => {
  it('finds a quote before a value with line breaks', () => {
    const lines = ['a,"b,c,"first', 'last",d'].map((text) => ({ text }));
    assert.deepEqual(findJoinedStrayQuote(lines, 5), { line: 0, quote: 2, cell: 1 });
  });

  it('finds none when the row ends early', () => {
    const lines = ['a,"b,c,d', 'e",f'].map((text) => ({ text }));
    assert.equal(findJoinedStrayQuote(lines, 3), undefined);
  });
});
