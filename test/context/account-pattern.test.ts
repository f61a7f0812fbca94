import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainDirectory } from '../../src/context/account-names.js';
import { compileAccountPattern } from '../../src/context/account-pattern.js';

const UNDECLARED = new DomainDirectory();
const DECLARED = new DomainDirectory([
  { netbios: 'NWIT', dns: ['northwind-it.com', 'corp.northwind-it.com'] },
  { netbios: 'CONTOSO', dns: ['contoso.local', 'contoso.com'] },
]);

/** [pattern, value, expected match] without `domains` */
const UNDECLARED_CASES: [string, string, boolean][] = [
  // The spellings of one account, as the OTRF THESHIRE records write them.
  ['THESHIRE\\pgustavo', 'THESHIRE\\pgustavo', true],
  ['THESHIRE\\pgustavo', 'theshire\\PGUSTAVO', true],
  ['THESHIRE\\pgustavo', 'THESHIRE.LOCAL\\pgustavo', true],
  ['THESHIRE\\pgustavo', 'theshire.local\\pgustavo', true],
  ['THESHIRE\\pgustavo', 'pgustavo@THESHIRE.LOCAL', true],
  ['pgustavo@theshire.local', 'THESHIRE\\pgustavo', true],
  ['pgustavo@theshire.local', 'THESHIRE.LOCAL\\pgustavo', true],
  ['THESHIRE.LOCAL\\pgustavo', 'pgustavo@theshire.local', true],
  ['THESHIRE.LOCAL\\pgustavo', 'THESHIRE\\pgustavo', true],
  // Look-alikes: another domain, another user, another DNS name of the same first label.
  ['THESHIRE\\pgustavo', 'SIMULANDLABS\\pgustavo', false],
  ['THESHIRE\\pgustavo', 'pgustavo@simulandlabs.com', false],
  ['THESHIRE\\pgustavo', 'THESHIRE\\pgustavo2', false],
  ['THESHIRE\\pgustavo', 'THESHIREX.LOCAL\\pgustavo', false],
  ['THESHIRE\\pgustavo', 'pgustavo@local.theshire.com', false],
  ['pgustavo@theshire.local', 'pgustavo@theshire.com', false],
  ['pgustavo@theshire.local', 'THESHIREX\\pgustavo', false],
  // Names without a domain match only as written, both ways.
  ['THESHIRE\\pgustavo', 'pgustavo', false],
  ['pgustavo', 'THESHIRE\\pgustavo', false],
  ['pgustavo', 'pgustavo@theshire.local', false],
  ['pgustavo', 'PGUSTAVO', true],
  // Wildcards keep working, in the user and in the domain part.
  ['CONTOSO\\acme-*', 'CONTOSO\\acme-jlee', true],
  ['CONTOSO\\acme-*', 'acme-jlee@contoso.com', true],
  ['CONTOSO\\acme-*', 'CORP.CONTOSO.COM\\acme-jlee', false],
  ['CONTOSO\\acme-*', 'CONTOSO\\adm-mkrause', false],
  ['acme-*@contoso.com', 'CONTOSO\\acme-jlee', true],
  ['acme-*@contoso.com', 'acme-jlee@contoso.local', false],
  ['*@acmeitpartner.onmicrosoft.com', 'tech.anders@acmeitpartner.onmicrosoft.com', true],
  ['*@acmeitpartner.onmicrosoft.com', 'ACMEITPARTNER\\tech.anders', true],
  ['*@acmeitpartner.onmicrosoft.com', 'anna.schulz@contoso.com', false],
  ['OFFSEC*\\admmig', 'OFFSEC.LAN\\admmig', true],
  ['OFFSEC*\\admmig', 'admmig@offsec.lan', true],
  ['OFFSEC*\\admmig', 'OFFSECURITY\\admmig', true],
  ['OFFSEC*\\admmig', 'admmig@corp.offsec.lan', false],
  ['*\\admmig', 'admmig@offsec.lan', true],
  ['*@*.contoso.com', 'jlee@corp.contoso.com', true],
  ['*@*.contoso.com', 'CORP.CONTOSO.COM\\jlee', true],
  ['*@*.contoso.com', 'CORP\\jlee', false],
  ['*@*.contoso.com', 'CONTOSO\\jlee', false],
  ['*@contoso.*', 'CONTOSO\\jlee', true],
  ['?heshire\\pgustavo', 'pgustavo@theshire.local', true],
  ['*pgustavo', 'THESHIRE\\pgustavo', true],
  ['*', 'anything', true],
  // Values that are no account names match only as written.
  ['EXAMPLE\\*', 'arn:aws:sts::123456789012:assumed-role/Admin/bob@example.com', false],
  ['arn:aws:iam::123837392027:user/bert-jan', 'arn:aws:iam::123837392027:user/bert-jan', true],
];

/** [pattern, value, expected match] with the `domains` of DECLARED */
const DECLARED_CASES: [string, string, boolean][] = [
  ['NWIT\\jlee', 'jlee@northwind-it.com', true],
  ['NWIT\\jlee', 'CORP.NORTHWIND-IT.COM\\jlee', true],
  ['jlee@northwind-it.com', 'NWIT\\jlee', true],
  ['jlee@northwind-it.com', 'jlee@corp.northwind-it.com', true],
  ['jlee@northwind-it.*', 'NWIT\\jlee', true],
  ['NWIT\\jlee', 'jlee@nwit.example.net', false],
  ['jlee@northwind-it.com', 'NORTHWIND-IT\\jlee', false],
  ['NORTHWIND-IT\\jlee', 'jlee@northwind-it.com', false],
  // A declared NetBIOS name matches only the DNS names its entry lists.
  ['CONTOSO\\acme-*', 'acme-jlee@contoso.com', true],
  ['CONTOSO\\acme-*', 'contoso.local\\acme-jlee', true],
  ['CONTOSO\\acme-*', 'acme-jlee@contoso.example.net', false],
  ['acme-*@contoso.example.net', 'CONTOSO\\acme-jlee', false],
  ['acme-*@contoso.local', 'acme-jlee@contoso.com', true],
  // Undeclared domains keep the first-label rule.
  ['THESHIRE\\pgustavo', 'pgustavo@theshire.local', true],
];

describe('compileAccountPattern', () => {
  it('matches the spellings of an account without domains', () => {
    for (const [pattern, value, expected] of UNDECLARED_CASES) {
      const matched = compileAccountPattern(pattern, UNDECLARED).test(value);
      assert.equal(matched, expected, `${pattern} against ${value}`);
    }
  });

  it('follows the declared domains', () => {
    for (const [pattern, value, expected] of DECLARED_CASES) {
      const matched = compileAccountPattern(pattern, DECLARED).test(value);
      assert.equal(matched, expected, `${pattern} against ${value}`);
    }
  });

  it('keeps the pattern as written', () => {
    assert.equal(
      compileAccountPattern('THESHIRE\\pgustavo', UNDECLARED).pattern,
      'THESHIRE\\pgustavo',
    );
  });

  it('matches stored actor keys as baseline show does', () => {
    /** [pattern, actor whose key is tested, expected match] */
    const cases: [string, string, boolean][] = [
      ['THESHIRE\\pgustavo', 'pgustavo@THESHIRE.LOCAL', true],
      ['pgustavo@theshire.local', 'THESHIRE.LOCAL\\pgustavo', true],
      ['THESHIRE.LOCAL\\pgustavo', 'THESHIRE\\pgustavo', true],
      ['theshire\\PGUSTAVO', 'theshire.local\\pgustavo', true],
      ['THESHIRE\\pgustavo', 'SIMULANDLABS\\pgustavo', false],
      ['THESHIRE\\pgustavo', 'pgustavo', false],
    ];
    for (const [pattern, actor, expected] of cases) {
      const key = UNDECLARED.actorKey(actor);
      const matched = compileAccountPattern(pattern, UNDECLARED).test(key);
      assert.equal(matched, expected, `${pattern} against ${key}`);
    }

    const declaredKey = DECLARED.actorKey('jlee@corp.northwind-it.com');
    assert.equal(declaredKey, 'nwit\\jlee');
    assert.equal(compileAccountPattern('jlee@northwind-it.com', DECLARED).test(declaredKey), true);
  });
});
