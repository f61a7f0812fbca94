import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { windowsEvent } from '../src/sources/windows/fields.js';
import { TEST_PARSE_CONTEXT } from './helpers/engine.js';
import { readOne } from './helpers/read.js';
import { sharedPath } from './helpers/shared.js';

function core(fields: Record<string, unknown>) {
  const origin = { file: 'test.json', record: 1, line: 0 };
  return windowsEvent('windows-flat', fields, ['2024-03-12T10:00:00Z'], origin, TEST_PARSE_CONTEXT)
    .core;
}

describe('Windows actor names', () => {
  const cases: [string, Record<string, unknown>, string | undefined, string[] | undefined][] = [
    [
      '4769 with a UPN',
      {
        EventID: '4769',
        TargetUserName: 'pgustavo@THESHIRE.LOCAL',
        TargetDomainName: 'THESHIRE.LOCAL',
      },
      'pgustavo@THESHIRE.LOCAL',
      undefined,
    ],
    [
      '4768 with a plain name',
      { EventID: '4768', TargetUserName: 'pgustavo', TargetDomainName: 'THESHIRE.LOCAL' },
      'THESHIRE.LOCAL\\pgustavo',
      undefined,
    ],
    [
      '4624 of a cloud account',
      {
        EventID: '4624',
        TargetUserName: 'jlee@contoso.com',
        TargetDomainName: 'AzureAD',
        SubjectUserName: 'APP01$',
        SubjectDomainName: 'CONTOSO',
      },
      'jlee@contoso.com',
      ['CONTOSO\\APP01$'],
    ],
    [
      '4648 with explicit UPN credentials',
      {
        EventID: '4648',
        SubjectUserName: 'acme-jlee',
        SubjectDomainName: 'CONTOSO',
        TargetUserName: 'admin@contoso.com',
        TargetDomainName: 'CONTOSO',
      },
      'CONTOSO\\acme-jlee',
      ['admin@contoso.com'],
    ],
    [
      'a name that carries its domain',
      { EventID: '4688', SubjectUserName: 'CONTOSO\\bob', SubjectDomainName: 'CONTOSO' },
      'CONTOSO\\bob',
      undefined,
    ],
    [
      'an AccountName in UPN form',
      { EventID: '1102', AccountName: 'bob@contoso.com', AccountDomain: 'CONTOSO' },
      'bob@contoso.com',
      undefined,
    ],
    [
      'a domain without a user name',
      { EventID: '4688', SubjectDomainName: 'CONTOSO', User: 'CONTOSO\\alice' },
      'CONTOSO\\alice',
      undefined,
    ],
    [
      'an empty subject beside an AccountName and a Domain',
      {
        EventID: '4688',
        SubjectUserName: '-',
        SubjectDomainName: 'CONTOSO',
        AccountName: 'svc',
        Domain: 'FABRIKAM',
      },
      'FABRIKAM\\svc',
      undefined,
    ],
    [
      'an AccountName whose AccountDomain is empty',
      { EventID: '4688', AccountName: 'svc', AccountDomain: '-', Domain: 'FABRIKAM' },
      'svc',
      undefined,
    ],
    [
      'an RDP authentication by Param1 and Param2',
      { EventID: '1149', Param1: 'bob', Param2: 'CONTOSO', Param3: '10.0.0.5' },
      'CONTOSO\\bob',
      undefined,
    ],
    [
      'a Param2 without a Param1',
      { EventID: '4104', Param2: 'CONTOSO', UserID: 'S-1-5-18' },
      'S-1-5-18',
      undefined,
    ],
    [
      'a logon failure without a target user',
      { EventID: '4625', SubjectUserName: 'SRV$', SubjectDomainName: 'CONTOSO' },
      'CONTOSO\\SRV$',
      undefined,
    ],
    [
      'a logon whose subject and target are the same account',
      {
        EventID: '4624',
        SubjectUserName: 'bob',
        SubjectDomainName: 'CONTOSO',
        TargetUserName: 'bob',
        TargetDomainName: 'CONTOSO',
      },
      'CONTOSO\\bob',
      undefined,
    ],
    [
      'a target user beside a subject in a process event',
      {
        EventID: '4688',
        SubjectUserName: 'bob',
        SubjectDomainName: 'CONTOSO',
        TargetUserName: 'alice',
      },
      'CONTOSO\\bob',
      ['alice'],
    ],
  ];
  for (const [name, fields, actor, identities] of cases) {
    it(`keeps the form of ${name}`, () => {
      const result = core(fields);
      assert.equal(result.actor, actor);
      assert.deepEqual(result.identities, identities);
    });
  }

  it('picks the logon session by event id', () => {
    const ids = { TargetLogonId: '0x2', SubjectLogonId: '0x1', LogonId: '0x3' };
    assert.equal(core({ EventID: '4624', ...ids }).session, '0x2');
    assert.equal(core({ EventID: '4688', ...ids }).session, '0x1');
    assert.equal(core({ EventID: '4688', SubjectLogonId: '-', LogonId: '0x3' }).session, '0x3');
    assert.equal(core({ EventID: 4625, SubjectLogonId: '0x1' }).session, undefined);
  });

  it('never joins a domain to a UPN in the OTRF Kerberos events', async (t) => {
    const path = sharedPath(
      t,
      'corpus/windows/otrf-security-datasets/covenant_psremoting_command_2020-08-06115603.auth-slice.json',
    );
    if (!path) return;
    const result = await readOne(path);
    const tickets = result.events.filter((event) => event.fields.EventID === 4769);
    assert.ok(tickets.length > 0);
    const upn = tickets.filter((event) => String(event.fields.TargetUserName).includes('@'));
    assert.ok(upn.length > 0);
    for (const event of upn) assert.equal(event.core.actor, event.fields.TargetUserName);
    for (const event of result.events) {
      const names = [event.core.actor, ...(event.core.identities ?? [])];
      for (const value of names) assert.ok(!(value?.includes('\\') && value.includes('@')), value);
    }
  });
});
