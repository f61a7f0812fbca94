import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseContext } from '../../src/context/load.js';
import { BaselineEnricher, SightingSet } from '../../src/enrich/baseline.js';
import { applyGeo } from '../../src/enrich/geo.js';
import { TrustEnricher } from '../../src/enrich/trust.js';
import type { Event, LogSource } from '../../src/model/event.js';
import { ENRICHMENT_FIELDS, knownFields } from '../../src/rules/logsources/field-lists.js';
import { LINUX_SYSLOG_FIELDS } from '../../src/rules/logsources/linux-fields.js';
import { type LogSourceMapping, mappingsForRule } from '../../src/rules/logsources/mapping.js';
import { buildMappingTable } from '../../src/rules/logsources/registry.js';
import { WINDOWS_EVENT_FIELDS } from '../../src/rules/logsources/windows-event-fields.js';
import { WINDOWS_SYSTEM_FIELDS } from '../../src/sources/windows/fields.js';
import { readInput } from '../helpers/read-input.js';
import { parseText } from '../helpers/read-inputs.js';
import { fixturePath, sharedPath } from '../helpers/shared.js';

/**
 * The field lists that the field name check of rules uses must name every field that the
 * sources give their events, or a correct rule would be warned about.
 */

function known(logsource: LogSource, extra: readonly LogSourceMapping[] = [], ids?: string[]) {
  const mappings = mappingsForRule(logsource, buildMappingTable(extra));
  return knownFields(logsource, mappings, ids);
}

/** Returns the field names of `events` that `listed` does not contain. */
function unlisted(events: readonly Event[], listed: (event: Event) => ReadonlySet<string>) {
  const missing = new Set<string>();
  for (const event of events) {
    const names = listed(event);
    for (const name of Object.keys(event.fields)) if (!names.has(name)) missing.add(name);
  }
  return [...missing].sort();
}

describe('Linux syslog field list', () => {
  const listed = new Set(LINUX_SYSLOG_FIELDS);

  it('names every field of real auth.log records', async () => {
    const records = { 'beats-auth-test.log': 10, 'beats-auth-timestamp.log': 2 };
    for (const [name, count] of Object.entries(records)) {
      const read = await readInput(fixturePath('linux', name));
      assert.equal(read.events.length, count, name);
      assert.deepEqual(
        unlisted(read.events, () => listed),
        [],
        name,
      );
    }
  });

  it('names every field of the Elastic auth.log test records', async (t) => {
    const path = sharedPath(t, 'corpus', 'linux', 'elastic-integrations', 'test-auth.log');
    if (!path) return;
    const read = await readInput(path);
    assert.ok(read.events.length > 10);
    assert.deepEqual(
      unlisted(read.events, () => listed),
      [],
    );
  });

  it('names the fields of journal entries', async () => {
    // Entries as `journalctl -o json` writes them, with the journal's own fields.
    const entry = {
      __CURSOR: 's=6a1c;i=2a1;b=9f2;m=1c2;t=61421;x=7d3',
      __REALTIME_TIMESTAMP: '1710900849482913',
      __MONOTONIC_TIMESTAMP: '1821934612',
      _BOOT_ID: '9f2c1b7e5d4a4c3b8a7f6e5d4c3b2a19',
      _MACHINE_ID: '1c0b5e4a3d2f4e1a9b8c7d6e5f4a3b2c',
      PRIORITY: '6',
      SYSLOG_FACILITY: '10',
      SYSLOG_IDENTIFIER: 'sudo',
      SYSLOG_TIMESTAMP: 'Mar 20 02:14:09 ',
      _PID: '36336',
      _UID: '0',
      _GID: '0',
      _COMM: 'sudo',
      _EXE: '/usr/bin/sudo',
      _CMDLINE: 'sudo -i',
      _CAP_EFFECTIVE: '1ffffffffff',
      _AUDIT_SESSION: '4',
      _AUDIT_LOGINUID: '1000',
      _SYSTEMD_CGROUP: '/user.slice/user-1000.slice/session-4.scope',
      _SYSTEMD_SESSION: '4',
      _SYSTEMD_UNIT: 'session-4.scope',
      _SYSTEMD_SLICE: 'user-1000.slice',
      _SYSTEMD_OWNER_UID: '1000',
      _SYSTEMD_INVOCATION_ID: 'b1f9c1a0e8d74c2b9a3f5e6d7c8b9a01',
      _SOURCE_REALTIME_TIMESTAMP: '1710900849482800',
      _HOSTNAME: 'web01',
      _TRANSPORT: 'syslog',
      MESSAGE: 'alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id',
    };
    const parsed = await parseText('journal.json', JSON.stringify(entry));
    assert.equal(parsed.format, 'journald-json');
    assert.equal(parsed.events.length, 1);
    assert.deepEqual(
      unlisted(parsed.events, () => listed),
      [],
    );
  });

  it('covers the Linux syslog services and no others', () => {
    assert.equal(known({ product: 'linux', service: 'auth' })?.complete, true);
    assert.ok(known({ product: 'linux', service: 'sshd' })?.names.has('source_ip'));
    assert.equal(known({ product: 'linux', service: 'auditd' }), undefined);
    assert.equal(known({ product: 'linux' }), undefined);
  });
});

describe('Windows field list', () => {
  const folder = fixturePath('evtx');
  const system = new Set(WINDOWS_SYSTEM_FIELDS);

  /** Returns the System fields and the listed data fields of the event's channel and event id. */
  function listedFor(event: Event): ReadonlySet<string> {
    const channel = Object.keys(WINDOWS_EVENT_FIELDS).find(
      (name) => name.toLowerCase() === String(event.fields.Channel).toLowerCase(),
    );
    const byId = channel === undefined ? undefined : WINDOWS_EVENT_FIELDS[channel];
    return new Set([...system, ...(byId?.[Number(event.fields.EventID)] ?? [])]);
  }

  it('names every field of the EVTX fixtures per channel and event id', async () => {
    const files = readdirSync(folder).filter((name) => name.endsWith('.evtx'));
    assert.equal(files.length, 5);
    for (const name of files) {
      const read = await readInput(`${folder}/${name}`);
      assert.ok(read.events.length > 0, name);
      assert.deepEqual(unlisted(read.events, listedFor), [], name);
    }
  });

  it('is complete only for listed event ids', () => {
    const security = { product: 'windows', service: 'security' };
    const logon = known(security, [], ['4624']);
    assert.equal(logon?.complete, true);
    assert.ok(logon?.names.has('LogonType'));
    assert.ok(logon?.names.has('EventID'));
    assert.equal(logon?.names.has('ServiceFileName'), false);
    assert.equal(known(security, [], ['5156'])?.complete, false);
    assert.equal(known(security)?.complete, false);
  });

  it('narrows categories to their mapped event ids', () => {
    const processes = known({ product: 'windows', category: 'process_creation' });
    assert.equal(processes?.complete, true);
    for (const name of ['CommandLine', 'ParentImage', 'NewProcessName', 'imphash']) {
      assert.ok(processes?.names.has(name), name);
    }
  });

  it('adds the names of mappings from the context', () => {
    const mapping: LogSourceMapping = {
      logsource: { product: 'windows', service: 'backup' },
      where: { Channel: ['Veeam Backup'] },
      fields: { User: 'AccountName' },
    };
    const backup = known({ product: 'windows', service: 'backup' }, [mapping]);
    assert.equal(backup?.complete, false);
    for (const name of ['Channel', 'User', 'AccountName', 'EventID']) {
      assert.ok(backup?.names.has(name), name);
    }
  });
});

describe('field lists of other sources', () => {
  it('covers CloudTrail, Entra ID and Cloud Audit Logs', () => {
    assert.ok(known({ product: 'aws', service: 'cloudtrail' })?.names.has('eventName'));
    assert.ok(known({ product: 'azure', service: 'signinlogs' })?.names.has('resultType'));
    assert.ok(known({ product: 'azure', service: 'signinlogs' })?.names.has('ResultType'));
    assert.ok(known({ product: 'gcp', service: 'gcp.audit' })?.names.has('protopayload'));
  });

  it('has no list where no source names its fields', () => {
    assert.equal(known({ product: 'okta', service: 'okta' }), undefined);
    assert.equal(known({ product: 'm365', service: 'audit' }), undefined);
    assert.equal(known({ product: 'github', service: 'audit' }), undefined);
    assert.equal(known({ category: 'proxy' }), undefined);
  });
});

describe('enrichment field list', () => {
  const context = parseContext(
    'trustwatch.yaml',
    `
parties:
  - name: Acme
    kind: msp
    accounts: ['acme-*']
`,
  );

  it('names every field that enrichment adds', () => {
    const event: Event = {
      time: Date.parse('2024-03-20T02:14:09Z'),
      timeText: '',
      format: 'test',
      logsource: { product: 'windows' },
      fields: {},
      core: {
        actor: 'acme-tech',
        host: 'APP01',
        srcIp: '198.51.100.7',
        action: '4624',
        target: 'APP01',
      },
      extra: {},
      origin: { file: 'test.json', record: 1, line: 1 },
      summary: '',
    };
    new TrustEnricher(context).enrich(event);
    applyGeo(event, { country: 'NL', asn: 64500, asOrg: 'Example Net' });
    const seen = new SightingSet();
    seen.add({
      kind: 'party',
      entity: 'Acme',
      attribute: 'host',
      value: 'app01',
      firstSeen: 0,
      lastSeen: 0,
      count: 1,
    });
    new BaselineEnricher(seen, undefined, context.domains).enrich(event);

    const names = Object.keys(event.extra);
    assert.ok(names.includes('trust.party'));
    assert.ok(names.includes('geo.as_org'));
    assert.ok(names.includes('baseline.party.host.first_seen'));
    const listed = new Set(ENRICHMENT_FIELDS);
    assert.deepEqual(
      names.filter((name) => !listed.has(name)),
      [],
    );
  });
});
