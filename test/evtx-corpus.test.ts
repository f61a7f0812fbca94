import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Event } from '../src/model/event.js';
import { silentLogger } from '../src/model/logger.js';
import type { ParseOutput } from '../src/sources/format.js';
import { windowsXmlFormat } from '../src/sources/windows/windows-xml.js';
import { fieldDifferences, renderRecordsAsXml } from './helpers/evtx-compare.js';
import { readInput, TEST_SETTINGS } from './helpers/read-input.js';
import { hasShared, SHARED_ROOT, sharedPath } from './helpers/shared.js';

/**
 * Reads every .evtx file of the shared corpus and of the SigmaHQ regression cases, and checks
 * the record counts (those of the chunk headers) and the fields against three other
 * renderings of the same events: the JSON exports of the regression cases, libevtx's XML
 * renderings of the CC0 files, and the Windows XML source reading the reader's own XML.
 */

const MDECREVOISIER = 'corpus/windows/mdecrevoisier-evtx-to-mitre-attack';
const SBOUSSEADEN = 'corpus/windows/sbousseaden-evtx-attack-samples';
const REGRESSION = 'peer/sigmahq-regression';

/** Records per file, from the chunk headers (the same counts `evtxinfo` prints). */
const CORPUS_COUNTS: Record<string, Record<string, number>> = {
  [MDECREVOISIER]: {
    'ID1149-RDP_success_logins_to_multiple_hosts.evtx': 11,
    'ID4624-Mimikatz_Pass_the_hash.evtx': 8,
    'ID4624-Success_login_with_Golden_ticket.evtx': 10,
    'ID4624_4688_5140_5145-Eternal_Romance_-_MS17_010_psexec_GLOBAL.evtx': 46,
    'ID4625-OpenSSH_brutforce_with_valid_users.evtx': 11,
    'ID4625-failed_login_with_denied_access_due_to_account_restriction.evtx': 2,
    'ID4688-4648_Lateral_movement_with_net_use.evtx': 2,
    'ID4688_4697_5140-5145_PSexec_remote_execution_admin_share.evtx': 30,
    'ID4688_4698_4699_5145_4624-ATexec_remote_trask_creation_GLOBAL.evtx': 12,
    'ID4688_5140_5145-WMIexec_execution_via_SMB_GLOBAL.evtx': 97,
    'ID4720-Local_user_created.evtx': 2,
    'ID4728-4756-Member_added_to_sensitive_domain_groups.evtx': 4,
    'ID4728-Massive_account_group_membership_change.evtx': 11,
    'ID472_4728_Hidden_user_creation.evtx': 21,
    'ID4732-User_added_to_local_admin_groups.evtx': 3,
    'ID4756-Exchange_admin_group_change.evtx': 15,
    'ID4769-Kerberoast_ticket_with_low_encryption.evtx': 10,
    'ID47x_4661-4662_5136_4688_4697-SAM_the_admin_CVE-2021-42287.evtx': 40,
    'ID4825-Denied_RDP_connection_with_valid_credentials.evtx': 2,
    'ID5140-ADMIN_share_connection_with_Golden_ticket.evtx': 2,
    'ID5145-4624-DonPAPI_full_extraction.evtx': 750,
  },
  [SBOUSSEADEN]: {
    'CA_teamviewer-dumper_sysmon_10.evtx': 1,
    'DFIR_RDP_Client_TimeZone_RdpCoreTs_104_example.evtx': 21,
    'LM_4624_mimikatz_sekurlsa_pth_source_machine.evtx': 6,
    'LM_Remote_Service01_5145_svcctl.evtx': 1,
    'LM_Remote_Service02_7045.evtx': 3,
    'LM_WMIC_4648_rpcss.evtx': 5,
    'LM_WMI_4624_4688_TargetHost.evtx': 8,
    'LM_renamed_psexecsvc_5145.evtx': 22,
    'LM_winrm_target_wrmlogs_91_wsmanShellStarted_poorLog.evtx': 1,
    'Network_Service_Guest_added_to_admins_4732.evtx': 2,
    'RemotePowerShell_MS_Windows-Remote_Management_EventID_169.evtx': 6,
    'dfir_rdpsharp_target_RdpCoreTs_168_68_131.evtx': 40,
    'kerberos_pwd_spray_4771.evtx': 12,
    'net_share_drive_5142.evtx': 2,
    'persist_valid_account_guest_rid_hijack.evtx': 4,
    'remote_task_update_4624_4702_same_logonid.evtx': 8,
  },
};

/** libevtx 20181227 cannot export this file (it expects dependency ids), so it has no XML. */
const WITHOUT_XML_RENDERING = new Set(['ID1149-RDP_success_logins_to_multiple_hosts.evtx']);

interface RegressionCase {
  case: string;
  evtx: string;
  json: string;
  events_in_evtx: number;
}

const regressionCases: RegressionCase[] = hasShared(REGRESSION, 'index.json')
  ? JSON.parse(readFileSync(join(SHARED_ROOT, REGRESSION, 'index.json'), 'utf8'))
  : [];

function assertReadCleanly(result: Awaited<ReturnType<typeof readInput>>, count: number): void {
  assert.equal(result.format, 'evtx');
  assert.deepEqual(
    result.rejections.map((rejection) => rejection.message),
    [],
  );
  assert.equal(result.events.length, count);
  for (const event of result.events) {
    assert.equal(event.origin.record, Number(event.fields.EventRecordID));
    assert.equal(event.origin.line, 0);
  }
}

/** Parses the reader's XML rendering of each record with the Windows XML source. */
function readOwnXml(path: string): Event[] {
  const parser = windowsXmlFormat.createParser?.({
    file: path,
    mtimeMs: undefined,
    settings: TEST_SETTINGS,
    logger: silentLogger,
  });
  assert.ok(parser);
  const out: ParseOutput = { events: [], rejections: [] };
  renderRecordsAsXml(readFileSync(path)).forEach((xml, index) => {
    parser.push({ value: xml, origin: { file: path, record: index + 1, line: 0 } }, out);
  });
  assert.deepEqual(out.rejections, []);
  return out.events;
}

/** Compares with the XML source over the reader's XML: equal up to LF line ends. */
function assertSameAsXmlSource(path: string, events: Event[]): void {
  const fromXml = readOwnXml(path);
  assert.equal(fromXml.length, events.length);
  events.forEach((event, index) => {
    const differences = fieldDifferences(event.fields, fromXml[index]?.fields ?? {}, {
      fractionDigits: 7,
    });
    assert.deepEqual(differences, [], `record ${event.origin.record}`);
  });
}

for (const [folder, counts] of Object.entries(CORPUS_COUNTS)) {
  describe(`evtx corpus ${folder.split('/').pop()}`, () => {
    for (const [name, count] of Object.entries(counts)) {
      it(`reads ${name}`, async (t) => {
        const path = sharedPath(t, folder, name);
        if (!path) return;
        const result = await readInput(path);
        assertReadCleanly(result, count);
        assertSameAsXmlSource(path, result.events);

        if (folder !== MDECREVOISIER || WITHOUT_XML_RENDERING.has(name)) return;
        const xmlPath = join(
          SHARED_ROOT,
          'corpus/windows/mdecrevoisier-xml',
          name.replace(/\.evtx$/, '.xml'),
        );
        const libevtx = await readInput(xmlPath);
        assert.equal(libevtx.events.length, count);
        result.events.forEach((event, index) => {
          const differences = fieldDifferences(event.fields, libevtx.events[index]?.fields ?? {}, {
            fractionDigits: 7,
          });
          assert.deepEqual(differences, [], `record ${event.origin.record}`);
        });
      });
    }

    it('lists every file of the folder', (t) => {
      const path = sharedPath(t, folder);
      if (!path) return;
      const present = readdirSync(path).filter((name) => name.endsWith('.evtx'));
      assert.deepEqual(present.sort(), Object.keys(counts).sort());
    });
  });
}

/**
 * The case whose JSON was edited by hand: its `.evtx` says `Explorer.EXE` where the `.json`
 * says `Explorer.exe`.
 */
const EDITED_JSON = {
  case: 'proc_creation_win_susp_right_to_left_override',
  field: 'ParentCommandLine',
};

describe('evtx sigmahq regression cases', () => {
  it('has the 152 cases', (t) => {
    if (!sharedPath(t, REGRESSION, 'index.json')) return;
    assert.equal(regressionCases.length, 152);
  });

  for (const entry of regressionCases) {
    it(`reads ${entry.case}`, async () => {
      const result = await readInput(join(SHARED_ROOT, REGRESSION, entry.evtx));
      assertReadCleanly(result, entry.events_in_evtx);
      assertSameAsXmlSource(join(SHARED_ROOT, REGRESSION, entry.evtx), result.events);

      // The JSON export trims trailing whitespace, writes GUIDs without braces, times with 6
      // fraction digits, and keeps the xmlns attribute of UserData as a field.
      const exported = await readInput(join(SHARED_ROOT, REGRESSION, entry.json));
      assert.equal(exported.format, 'windows-json');
      assert.equal(exported.events.length, entry.events_in_evtx);
      result.events.forEach((event, index) => {
        const theirs = { ...exported.events[index]?.fields };
        if (entry.case === EDITED_JSON.case) {
          const ours = String(event.fields[EDITED_JSON.field]);
          assert.equal(String(theirs[EDITED_JSON.field]).toLowerCase(), ours.toLowerCase());
          theirs[EDITED_JSON.field] = ours;
        }
        const differences = fieldDifferences(event.fields, theirs, {
          fractionDigits: 6,
          trimEnd: true,
          ignore: ['xmlns'],
        });
        assert.deepEqual(differences, [], `record ${event.origin.record}`);
      });
    });
  }
});
