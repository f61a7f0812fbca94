import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainDirectory, splitAccountName } from '../../src/context/account-names.js';

describe('splitAccountName', () => {
  /** [name, expected domain and user, or undefined for a name without a domain] */
  const cases: [string, { domain: string; user: string } | undefined][] = [
    ['THESHIRE\\pgustavo', { domain: 'THESHIRE', user: 'pgustavo' }],
    ['THESHIRE.LOCAL\\pgustavo', { domain: 'THESHIRE.LOCAL', user: 'pgustavo' }],
    ['pgustavo@THESHIRE.LOCAL', { domain: 'THESHIRE.LOCAL', user: 'pgustavo' }],
    ['NT AUTHORITY\\SYSTEM', { domain: 'NT AUTHORITY', user: 'SYSTEM' }],
    ['CONTOSO\\bob@contoso.com', { domain: 'CONTOSO', user: 'bob@contoso.com' }],
    [
      'r.osei_fabrikam.example#EXT#@contoso.onmicrosoft.com',
      { domain: 'contoso.onmicrosoft.com', user: 'r.osei_fabrikam.example#EXT#' },
    ],
    ['pgustavo', undefined],
    ['\\pgustavo', undefined],
    ['THESHIRE\\', undefined],
    ['@theshire.local', undefined],
    ['pgustavo@', undefined],
    ['pgustavo@theshire..local', undefined],
    ['pgustavo@theshire.local.', undefined],
    ['arn:aws:sts::123456789012:assumed-role/Admin/bob@example.com', undefined],
    ['https://login.example.com/u@example.com', undefined],
  ];
  for (const [name, expected] of cases) {
    it(`splits ${name}`, () => {
      assert.deepEqual(splitAccountName(name), expected);
    });
  }
});

describe('DomainDirectory.actorKey', () => {
  const undeclared = new DomainDirectory();
  const declared = new DomainDirectory([
    { netbios: 'NWIT', dns: ['northwind-it.com', 'Corp.Northwind-IT.com'] },
    { netbios: 'THESHIRE', dns: ['theshire.local'] },
  ]);

  /** [directory, name, key] */
  const cases: [DomainDirectory, string, string][] = [
    [undeclared, 'THESHIRE\\pgustavo', 'theshire\\pgustavo'],
    [undeclared, 'THESHIRE.LOCAL\\pgustavo', 'theshire\\pgustavo'],
    [undeclared, 'theshire.local\\pgustavo', 'theshire\\pgustavo'],
    [undeclared, 'pgustavo@THESHIRE.LOCAL', 'theshire\\pgustavo'],
    [undeclared, 'pgustavo@theshire.example.org', 'theshire\\pgustavo'],
    [undeclared, 'SIMULANDLABS\\pgustavo', 'simulandlabs\\pgustavo'],
    [undeclared, 'pgustavo', 'pgustavo'],
    [
      undeclared,
      'arn:aws:iam::123456789012:user/Bert-Jan',
      'arn:aws:iam::123456789012:user/bert-jan',
    ],
    [declared, 'jlee@northwind-it.com', 'nwit\\jlee'],
    [declared, 'CORP.NORTHWIND-IT.COM\\jlee', 'nwit\\jlee'],
    [declared, 'NWIT\\JLee', 'nwit\\jlee'],
    [declared, 'NORTHWIND-IT\\jlee', 'northwind-it\\jlee'],
    [declared, 'pgustavo@THESHIRE.LOCAL', 'theshire\\pgustavo'],
    // A DNS name that starts with a declared NetBIOS name but is not listed keeps its own key.
    [declared, 'pgustavo@theshire.example.org', 'theshire.example.org\\pgustavo'],
  ];
  for (const [directory, name, key] of cases) {
    it(`keys ${name}${directory === declared ? ' with domains' : ''}`, () => {
      assert.equal(directory.actorKey(name), key);
    });
  }

  it('keeps a key under the same directory', () => {
    for (const [directory, name] of cases) {
      const key = directory.actorKey(name);
      assert.equal(directory.actorKey(key), key, name);
    }
  });
});

describe('DomainDirectory.netbiosOf', () => {
  const directory = new DomainDirectory([{ netbios: 'NWIT', dns: ['northwind-it.com'] }]);

  it('returns the declared NetBIOS name', () => {
    assert.equal(directory.netbiosOf('Northwind-IT.com'), 'nwit');
  });

  it('returns the first label of an undeclared name', () => {
    assert.equal(directory.netbiosOf('THESHIRE.LOCAL'), 'theshire');
  });

  it('returns nothing when the first label is declared elsewhere', () => {
    assert.equal(directory.netbiosOf('nwit.example.net'), undefined);
  });
});
