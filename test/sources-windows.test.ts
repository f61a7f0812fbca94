import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Event } from '../src/model/event.js';
import { windowsXmlFormat } from '../src/sources/windows/windows-xml.js';
import { readAll, readOne } from './helpers/read.js';
import { hasShared, REPO_ROOT, SHARED_ROOT } from './helpers/shared.js';
import { makeZip } from './helpers/zip.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const PSEXEC_XML = join(
  EXAMPLES,
  'logs/windows-mdecrevoisier/psexec-remote-execution-admin-share.xml',
);
const ADMIN_GROUPS_XML = join(
  EXAMPLES,
  'logs/windows-mdecrevoisier/user-added-to-local-admin-groups.xml',
);
const OTRF_FLAT = join(EXAMPLES, 'logs/windows-otrf/empire-psexec-dcerpc-svcctl.auth-slice.json');

const EVENT_ELEMENTS = /<Event[\s>][\s\S]*?<\/Event>/g;

function recordIds(events: readonly (Event | undefined)[]): unknown[] {
  return events.map((event) => event?.fields.EventRecordID);
}

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-test-'));
}

describe('windows-xml', () => {
  it('reads every event of a bundled export', async () => {
    const result = await readOne(PSEXEC_XML);
    assert.equal(result.format, 'windows-xml');
    assert.equal(result.events.length, 30);
    assert.equal(result.rejections.length, 0);
    assert.deepEqual(
      result.events.map((event) => event.origin.record),
      Array.from({ length: 30 }, (_, index) => index + 1),
    );
  });

  it('keeps values in their written form', async () => {
    const result = await readOne(PSEXEC_XML);
    const logon = result.events[0];
    assert.ok(logon);
    assert.equal(logon.fields.EventID, '4624');
    assert.equal(logon.fields.LogonType, '3');
    assert.equal(logon.fields.TargetLogonId, '0x0000000001375fbd');
    assert.equal(logon.fields.Computer, 'srvdefender01.offsec.lan');
    assert.equal(logon.fields.Provider_Name, 'Microsoft-Windows-Security-Auditing');
    assert.equal(logon.fields.Channel, 'Security');
    assert.equal(logon.timeText, '2021-04-21T09:40:32.342397200Z');
    assert.equal(logon.time, Date.UTC(2021, 3, 21, 9, 40, 32, 342));
    assert.equal(logon.core.actor, 'OFFSEC.LAN\\admmig');
    assert.equal(logon.core.srcIp, '10.23.42.22');
    assert.equal(logon.core.session, '0x0000000001375fbd');
  });

  it('leaves the summary empty until matched', async () => {
    const result = await readOne(PSEXEC_XML);
    const logon = result.events[0];
    assert.ok(logon);
    assert.equal(logon.summary, '');
    assert.equal(
      windowsXmlFormat.summarize?.(logon),
      '4624 logon type 3 OFFSEC.LAN\\admmig from 10.23.42.22 on srvdefender01.offsec.lan',
    );
  });

  it('reads an empty Data element as an empty string', async () => {
    const dir = temp();
    const xml = readFileSync(ADMIN_GROUPS_XML, 'utf8').replace(
      '<Data Name="PrivilegeList">-</Data>',
      '<Data Name="PrivilegeList"/>',
    );
    writeFileSync(join(dir, 'events.xml'), xml);
    const result = await readOne(join(dir, 'events.xml'));
    assert.equal(result.events[0]?.fields.PrivilegeList, '');
    assert.equal(result.events[1]?.fields.PrivilegeList, '-');
  });

  it('reads bare Event elements without a root, in UTF-16 with a byte order mark', async () => {
    const dir = temp();
    const body = readFileSync(ADMIN_GROUPS_XML, 'utf8')
      .replace(/<\?xml[^>]*>/, '')
      .replace('<Events>', '')
      .replace('</Events>', '');
    writeFileSync(
      join(dir, 'utf16.xml'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body, 'utf16le')]),
    );
    const result = await readOne(join(dir, 'utf16.xml'));
    assert.equal(result.format, 'windows-xml');
    assert.equal(result.events.length, 3);
    assert.equal(result.events[1]?.fields.TargetUserName, 'Administrators');
  });

  it('flattens UserData and takes the rendered message', async () => {
    const dir = temp();
    const xml = `<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-TerminalServices-RemoteConnectionManager'/><EventID>1149</EventID><TimeCreated SystemTime='2024-03-01T10:00:00.0000000Z'/><Channel>Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational</Channel><Computer>APP01</Computer></System><UserData><EventXML xmlns='Event_NS'><Param1>jlee</Param1><Param2>CONTOSO</Param2><Param3>198.51.100.23</Param3></EventXML></UserData><RenderingInfo Culture='en-US'><Message>Remote Desktop Services: User authentication succeeded</Message></RenderingInfo></Event></Events>`;
    writeFileSync(join(dir, 'rdp.xml'), xml);
    const [event] = (await readOne(join(dir, 'rdp.xml'))).events;
    assert.ok(event);
    assert.equal(event.fields.Param1, 'jlee');
    assert.equal(event.fields.Message, 'Remote Desktop Services: User authentication succeeded');
    assert.equal(event.core.actor, 'CONTOSO\\jlee');
    assert.equal(event.core.srcIp, '198.51.100.23');
  });

  it('rejects a broken event with its line and keeps the rest', async () => {
    const dir = temp();
    const text = readFileSync(ADMIN_GROUPS_XML, 'utf8');
    const broken = text.replace('<EventID>4732</EventID>', '<EventID>4732</EventIDx>');
    writeFileSync(join(dir, 'broken.xml'), broken);
    const result = await readOne(join(dir, 'broken.xml'));
    assert.equal(result.events.length, 2);
    assert.equal(result.rejections.length, 1);
    assert.equal(result.rejections[0]?.code, 'invalid_xml');
    assert.equal(result.rejections[0]?.origin.record, 1);
    assert.equal(result.rejections[0]?.origin.line, 4);
  });

  it('skips an event commented out between events', async () => {
    const dir = temp();
    const text = readFileSync(ADMIN_GROUPS_XML, 'utf8');
    const [first] = text.match(EVENT_ELEMENTS) ?? [];
    const commented = text.replace(
      '</Event>\n',
      `</Event>\n<!-- before the change:\n${first}\n-->\n`,
    );
    writeFileSync(join(dir, 'commented.xml'), commented);
    const result = await readOne(join(dir, 'commented.xml'));
    const intact = await readOne(ADMIN_GROUPS_XML);

    assert.equal(result.format, 'windows-xml');
    assert.deepEqual(result.rejections, []);
    assert.deepEqual(recordIds(result.events), recordIds(intact.events));
    assert.equal(result.events[1]?.origin.line, (intact.events[1]?.origin.line ?? 0) + 32);
  });

  it('rejects an event cut inside CDATA alone', async () => {
    const dir = temp();
    const text = readFileSync(ADMIN_GROUPS_XML, 'utf8');
    const [first, second, third] = text.match(EVENT_ELEMENTS) ?? [];
    const data = '<Data Name="TargetUserName">';
    const cut = `${second?.slice(0, second.indexOf(data) + data.length)}<![CDATA[Adm`;
    const body = [first, cut, third].join('\n\n');
    writeFileSync(
      join(dir, 'cut.xml'),
      `<?xml version="1.0"?>\n<Events>\n\n${body}\n\n</Events>\n`,
    );
    const result = await readOne(join(dir, 'cut.xml'));
    const intact = await readOne(ADMIN_GROUPS_XML);

    assert.deepEqual(recordIds(result.events), recordIds([intact.events[0], intact.events[2]]));
    assert.equal(result.rejections.length, 1);
    assert.equal(result.rejections[0]?.code, 'invalid_xml');
    assert.equal(result.rejections[0]?.origin.record, 2);
    assert.equal(result.rejections[0]?.origin.line, 35);
    assert.equal(
      result.rejections[0]?.message,
      'a CDATA section opened on line 55 is not closed before the next <Event> element on line ' +
        '57, so this element is cut or damaged',
    );
  });
});

describe('windows-flat', () => {
  it('reads every record of the bundled NXLog slice', async () => {
    const result = await readOne(OTRF_FLAT);
    assert.equal(result.format, 'windows-flat');
    assert.equal(result.events.length, 46);
    assert.equal(result.rejections.length, 0);
  });

  it('turns NXLog local EventTime into UTC with the collector offset', async () => {
    const result = await readOne(OTRF_FLAT);
    const first = result.events[0];
    assert.ok(first);
    assert.equal(first.fields.Computer, first.fields.Hostname);
    assert.equal(first.fields.Provider_Name, first.fields.SourceName);
    const offset =
      Date.parse(String(first.fields['@timestamp'])) -
      Date.parse(`${first.fields.EventReceivedTime}Z`);
    const local = Date.parse(`${String(first.fields.EventTime).replace(' ', 'T')}Z`);
    assert.equal(first.time, local + Math.round(offset / 900000) * 900000);
  });
});

describe('windows-flat times', () => {
  /** Writes an NXLog record: local `EventTime` and `EventReceivedTime`, UTC `@timestamp`. */
  function nxlog(user: string, eventTime: string, received: string, stamp: string): string {
    return JSON.stringify({
      EventID: 4688,
      Channel: 'Security',
      Hostname: 'h1',
      SubjectUserName: user,
      EventTime: eventTime,
      EventReceivedTime: received,
      '@timestamp': stamp,
    });
  }

  function created(user: string, fields: Record<string, unknown>): string {
    return JSON.stringify({ EventID: 1, Channel: 'Sysmon', Hostname: 'h1', User: user, ...fields });
  }

  it('reads repeated and changed times', async () => {
    const lines = [
      nxlog('a', '2024-03-12 10:00:00', '2024-03-12 10:00:01', '2024-03-12T09:00:01.000Z'),
      nxlog('b', '2024-03-12 10:00:00', '2024-03-12 10:00:01', '2024-03-12T09:00:01.000Z'),
      // The same local time from a collector two hours ahead of UTC.
      nxlog('c', '2024-03-12 10:00:00', '2024-03-12 12:00:01', '2024-03-12T10:00:01.000Z'),
      nxlog('d', '2024-03-12 10:00:05', '2024-03-12 12:00:01', '2024-03-12T10:00:01.000Z'),
      created('e', { TimeCreated: '2024-03-12T08:00:00.500Z' }),
      created('f', { TimeCreated: '2024-03-12T08:00:00.500Z' }),
      // Without EventReceivedTime, EventTime is no NXLog local time and @timestamp comes first.
      created('g', { EventTime: '2024-03-12 10:00:05', '@timestamp': '2024-03-12T07:00:00Z' }),
      created('h', { TimeCreated: 'yesterday', UtcTime: '2024-03-12 06:00:00.250' }),
      created('i', { TimeCreated: '2024-03-12T08:00:00.500Z' }),
      created('j', { TimeCreated: 1710230400 }),
    ];
    const path = join(temp(), 'events.ndjson');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const result = await readOne(path);

    assert.equal(result.format, 'windows-flat');
    assert.deepEqual(result.rejections, []);
    const times = result.events.map((event) => [
      event.fields.SubjectUserName ?? event.fields.User,
      new Date(event.time).toISOString(),
      event.timeText,
    ]);
    assert.deepEqual(times, [
      ['a', '2024-03-12T09:00:00.000Z', '2024-03-12 10:00:00'],
      ['b', '2024-03-12T09:00:00.000Z', '2024-03-12 10:00:00'],
      ['c', '2024-03-12T08:00:00.000Z', '2024-03-12 10:00:00'],
      ['d', '2024-03-12T08:00:05.000Z', '2024-03-12 10:00:05'],
      ['e', '2024-03-12T08:00:00.500Z', '2024-03-12T08:00:00.500Z'],
      ['f', '2024-03-12T08:00:00.500Z', '2024-03-12T08:00:00.500Z'],
      ['g', '2024-03-12T07:00:00.000Z', '2024-03-12T07:00:00Z'],
      ['h', '2024-03-12T06:00:00.250Z', '2024-03-12 06:00:00.250'],
      ['i', '2024-03-12T08:00:00.500Z', '2024-03-12T08:00:00.500Z'],
      ['j', '2024-03-12T08:00:00.000Z', '1710230400'],
    ]);
  });
});

describe('windows-json and winlogbeat', () => {
  it('reads EVTX-dumper objects written back to back', async () => {
    const dir = temp();
    const one = {
      Event: {
        '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
        System: {
          Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
          EventID: 1,
          TimeCreated: { '#attributes': { SystemTime: '2025-10-22T20:33:27.276702Z' } },
          EventRecordID: 256875,
          Channel: 'Microsoft-Windows-Sysmon/Operational',
          Computer: 'ar-win-1',
          Security: { '#attributes': { UserID: 'S-1-5-18' } },
        },
        EventData: {
          Image: 'C:\\Windows\\System32\\sc.exe',
          CommandLine: 'sc  stop mpssvc',
          ProcessId: 3424,
        },
      },
    };
    const two = structuredClone(one);
    two.Event.System.EventRecordID = 256876;
    writeFileSync(
      join(dir, 'dump.json'),
      `${JSON.stringify(one, null, 2)}\n${JSON.stringify(two, null, 2)}\n`,
    );
    const result = await readOne(join(dir, 'dump.json'));
    assert.equal(result.format, 'windows-json');
    assert.equal(result.events.length, 2);
    assert.deepEqual(
      result.events.map((event) => event.origin.record),
      [1, 2],
    );
    assert.equal(result.events[1]?.fields.EventRecordID, 256876);
    assert.equal(result.events[0]?.fields.Image, 'C:\\Windows\\System32\\sc.exe');
    assert.equal(result.events[0]?.fields.UserID, 'S-1-5-18');
  });

  it('reads the winlog shape with the standard names beside the nested ones', async () => {
    const dir = temp();
    const record = {
      '@timestamp': '2024-03-01T10:00:00.000Z',
      winlog: {
        channel: 'Security',
        event_id: '4624',
        computer_name: 'APP01.corp.example',
        provider_name: 'Microsoft-Windows-Security-Auditing',
        record_id: 42,
        event_data: {
          TargetUserName: 'jlee',
          TargetDomainName: 'CONTOSO',
          LogonType: '10',
          IpAddress: '198.51.100.23',
        },
      },
    };
    writeFileSync(join(dir, 'beat.ndjson'), `${JSON.stringify(record)}\n`);
    const [event] = (await readOne(join(dir, 'beat.ndjson'))).events;
    assert.ok(event);
    assert.equal(event.format, 'winlogbeat');
    assert.equal(event.fields.EventID, '4624');
    assert.equal(event.fields.Computer, 'APP01.corp.example');
    assert.equal(event.fields.TargetUserName, 'jlee');
    assert.equal(event.core.actor, 'CONTOSO\\jlee');
  });
});

describe('inputs', () => {
  it('reads gzip by content, zip entries and folders in name order', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'b-events'), gzipSync(readFileSync(ADMIN_GROUPS_XML)));
    writeFileSync(join(dir, 'a.json'), readFileSync(OTRF_FLAT));
    const zip = makeZip([
      { name: 'inner/one.xml', data: readFileSync(ADMIN_GROUPS_XML) },
      { name: 'inner/two.json.gz', data: gzipSync(readFileSync(OTRF_FLAT)) },
    ]);
    writeFileSync(join(dir, 'c.zip'), zip);
    const results = await readAll([dir]);
    assert.deepEqual(
      results.map((result) => [
        result.path.slice(dir.length + 1),
        result.format,
        result.events.length,
      ]),
      [
        ['a.json', 'windows-flat', 46],
        ['b-events', 'windows-xml', 3],
        ['c.zip/inner/one.xml', 'windows-xml', 3],
        ['c.zip/inner/two.json.gz', 'windows-flat', 46],
      ],
    );
  });

  it('reports a file that matches no format without guessing', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'notes.txt'), 'shopping list: milk, eggs\n');
    const [result] = await readAll([join(dir, 'notes.txt')]);
    assert.equal(result?.format, undefined);
    assert.match(
      result?.reason ?? '',
      /no known format matches the content \(it starts with "shopping list/,
    );
  });

  it('reads a document that mentions Events as no format', async () => {
    const dir = temp();
    const text = '# Notes\n\nExports have an `<Events>` root, as wevtutil writes it.\n';
    writeFileSync(join(dir, 'README.md'), text);
    writeFileSync(
      join(dir, 'empty.xml'),
      '<?xml version="1.0"?>\n<!-- none -->\n<Events></Events>\n',
    );
    const [readme, empty] = await readAll([join(dir, 'README.md'), join(dir, 'empty.xml')]);
    assert.equal(readme?.format, undefined);
    assert.equal(empty?.format, 'windows-xml');
  });
});

describe('shared Windows corpus', () => {
  const XML_COUNTS: [string, number][] = [
    ['ID1149-RDP_success_logins_to_multiple_hosts.xml', 0],
    ['ID4624-Mimikatz_Pass_the_hash.xml', 8],
    ['ID4624-Success_login_with_Golden_ticket.xml', 10],
    ['ID4624_4688_5140_5145-Eternal_Romance_-_MS17_010_psexec_GLOBAL.xml', 46],
    ['ID4625-OpenSSH_brutforce_with_valid_users.xml', 11],
    ['ID4625-failed_login_with_denied_access_due_to_account_restriction.xml', 2],
    ['ID4688-4648_Lateral_movement_with_net_use.xml', 2],
    ['ID4688_4697_5140-5145_PSexec_remote_execution_admin_share.xml', 30],
    ['ID4688_4698_4699_5145_4624-ATexec_remote_trask_creation_GLOBAL.xml', 12],
    ['ID4688_5140_5145-WMIexec_execution_via_SMB_GLOBAL.xml', 97],
    ['ID4720-Local_user_created.xml', 2],
    ['ID4728-4756-Member_added_to_sensitive_domain_groups.xml', 4],
    ['ID4728-Massive_account_group_membership_change.xml', 11],
    ['ID472_4728_Hidden_user_creation.xml', 21],
    ['ID4732-User_added_to_local_admin_groups.xml', 3],
    ['ID4756-Exchange_admin_group_change.xml', 15],
    ['ID4769-Kerberoast_ticket_with_low_encryption.xml', 10],
    ['ID47x_4661-4662_5136_4688_4697-SAM_the_admin_CVE-2021-42287.xml', 40],
    ['ID4825-Denied_RDP_connection_with_valid_credentials.xml', 2],
    ['ID5140-ADMIN_share_connection_with_Golden_ticket.xml', 2],
    ['ID5145-4624-DonPAPI_full_extraction.xml', 750],
  ];
  const FLAT_COUNTS: [string, number][] = [
    ['covenant_copy_smb_CreateRequest_2020-09-22145302.json', 506],
    ['covenant_psremoting_command_2020-08-06115603.auth-slice.json', 82],
    ['empire_psexec_dcerpc_tcp_svcctl_2020-09-20121608.auth-slice.json', 46],
    ['goldensaml_WindowsEvents.json', 38],
    ['rdp_interactive_taskmanager_lsass_dump_2020-09-22043748.auth-slice.json', 98],
  ];

  it('parses every XML rendering of the mdecrevoisier samples', async (t) => {
    if (!hasShared('corpus/windows/mdecrevoisier-xml')) return t.skip('shared corpus not present');
    const dir = join(SHARED_ROOT, 'corpus/windows/mdecrevoisier-xml');
    assert.equal(
      readdirSync(dir).filter((name) => name.endsWith('.xml')).length,
      XML_COUNTS.length,
    );
    for (const [name, count] of XML_COUNTS) {
      const result = await readOne(join(dir, name));
      assert.equal(result.format, 'windows-xml', name);
      assert.equal(result.events.length, count, name);
      assert.equal(result.rejections.length, 0, name);
    }
  });

  it('parses every record of the OTRF exports', async (t) => {
    if (!hasShared('corpus/windows/otrf-security-datasets'))
      return t.skip('shared corpus not present');
    for (const [name, count] of FLAT_COUNTS) {
      const result = await readOne(
        join(SHARED_ROOT, 'corpus/windows/otrf-security-datasets', name),
      );
      assert.equal(result.format, 'windows-flat', name);
      assert.equal(result.events.length, count, name);
      assert.equal(result.rejections.length, 0, name);
    }
  });

  it('parses the JSON of every SigmaHQ regression case', async (t) => {
    if (!hasShared('peer/sigmahq-regression/index.json'))
      return t.skip('shared peer suite not present');
    const root = join(SHARED_ROOT, 'peer/sigmahq-regression');
    const index = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as {
      json: string;
      events_in_evtx: number;
    }[];
    let total = 0;
    for (const entry of index) {
      const result = await readOne(join(root, entry.json));
      assert.equal(result.format, 'windows-json', entry.json);
      assert.equal(result.events.length, entry.events_in_evtx, entry.json);
      assert.equal(result.rejections.length, 0, entry.json);
      total += result.events.length;
    }
    assert.equal(total, 182);
  });
});
