import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/model/alert.js';
import { evidenceKeys, scanWithPack } from '../helpers/scan.js';
import { fixturePath } from '../helpers/shared.js';

const ACME = `
parties:
  - name: Acme IT Services
    kind: msp
    accounts: ["acme-*"]
    networks: ["198.51.100.0/26"]
    apps: ["com.acme.mdm.agent"]
`;

function an1346(alerts: Alert[]): Alert[] {
  return alerts.filter((alert) => alert.analytic === 'AN1346');
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'trustwatch-an1346-')), name);
  writeFileSync(path, text);
  return path;
}

/** Writes one `log show --style ndjson` line of the given process. */
function logLine(time: string, processPath: string, message: string): string {
  return JSON.stringify({
    eventMessage: message,
    eventType: 'logEvent',
    subsystem: '',
    category: '',
    bootUUID: 'B0B0B0B0-1111-2222-3333-444444444444',
    processImagePath: processPath,
    timestamp: `2024-05-06 ${time}.000000+0200`,
    machTimestamp: 1,
    messageType: 'Default',
    processID: 100,
  });
}

const SUDO = '/usr/bin/sudo';
const sudo = (user: string, command: string) =>
  `${user} : TTY=ttys001 ; PWD=/Users/${user} ; USER=root ; COMMAND=${command}`;

describe('AN1346 chain on Endpoint Security events', () => {
  it('links login, sudo and mount by the audit user id', async () => {
    const alerts = an1346(await scanWithPack([fixturePath('macos', 'eslogger.ndjson')], ACME));
    assert.equal(alerts.length, 1);
    const alert = alerts[0] as Alert;
    assert.equal(alert.party, 'Acme IT Services');
    assert.equal(alert.actor, 'acme-tech');
    assert.deepEqual(evidenceKeys(alert), [
      '1:eslogger.ndjson#1',
      '2:eslogger.ndjson#2',
      '3:eslogger.ndjson#3',
      '3:eslogger.ndjson#4',
    ]);
  });

  it('ignores another user of the Mac', async () => {
    const lines = readFileSync(fixturePath('macos', 'eslogger.ndjson'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { process: { audit_token: { auid: number } } });
    for (const record of lines.slice(1)) record.process.audit_token.auid = 501;
    const path = tempFile('eslogger.ndjson', lines.map((line) => JSON.stringify(line)).join('\n'));
    assert.equal(an1346(await scanWithPack([path], ACME)).length, 0);
  });
});

describe('AN1346 chain from Screen Sharing, Endpoint Security', () => {
  type EsRecord = { event: Record<string, unknown> };

  /** Writes the fixture's records with the SSH login replaced by a Screen Sharing attach. */
  function screenSharingFile(attach: Record<string, unknown>): string {
    const records = readFileSync(fixturePath('macos', 'eslogger.ndjson'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as EsRecord);
    (records[0] as EsRecord).event = {
      screensharing_attach: {
        success: true,
        source_address_type: 0,
        source_address: '198.51.100.40',
        viewer_appleid: null,
        authentication_type: 'dh',
        authentication_username: 'acme-tech',
        session_username: 'acme-tech',
        existing_session: true,
        graphical_session_id: 257,
        ...attach,
      },
    };
    const text = records.map((record) => JSON.stringify(record)).join('\n');
    return tempFile('eslogger.ndjson', text);
  }

  it('links the attach by the sudo user', async () => {
    const alerts = an1346(await scanWithPack([screenSharingFile({})], ACME));
    assert.equal(alerts.length, 1);
    const alert = alerts[0] as Alert;
    assert.equal(alert.actor, 'acme-tech');
    assert.deepEqual(evidenceKeys(alert), [
      '1:eslogger.ndjson#1',
      '2:eslogger.ndjson#2',
      '3:eslogger.ndjson#3',
      '3:eslogger.ndjson#4',
    ]);
  });

  it('ignores a failed attach', async () => {
    const path = screenSharingFile({ success: false });
    assert.equal(an1346(await scanWithPack([path], ACME)).length, 0);
  });

  it('ignores a sudo by another user', async () => {
    const path = screenSharingFile({
      authentication_username: 'acme-other',
      session_username: 'acme-other',
    });
    assert.equal(an1346(await scanWithPack([path], ACME)).length, 0);
  });
});

describe('AN1346 chain on the unified log', () => {
  it('starts from a partner MDM profile', async () => {
    const path = tempFile(
      'unifiedlog.ndjson',
      [
        logLine(
          '10:00:00',
          '/usr/libexec/mdmclient',
          'Installed configuration profile: Acme Agent (com.acme.mdm.agent) for <Device> (source: MDM)',
        ),
        logLine('10:05:00', SUDO, sudo('mdavis', '/usr/bin/killall -HUP mDNSResponder')),
        logLine(
          '10:20:00',
          SUDO,
          sudo('helpdesk', '/usr/sbin/dseditgroup -o edit -a helpdesk -t user admin'),
        ),
        logLine(
          '10:40:00',
          SUDO,
          sudo('helpdesk', '/sbin/mount_smbfs //fs01/Finance /Volumes/Finance'),
        ),
      ].join('\n'),
    );
    const alerts = an1346(await scanWithPack([path], ACME));
    assert.equal(alerts.length, 1);
    const alert = alerts[0] as Alert;
    assert.equal(alert.actor, 'helpdesk');
    assert.equal(alert.rule.title.startsWith('Partner MDM profile'), true);
    assert.deepEqual(evidenceKeys(alert), [
      '1:unifiedlog.ndjson#1',
      '2:unifiedlog.ndjson#3',
      '3:unifiedlog.ndjson#4',
    ]);
  });

  it('needs a sudo that was not refused', async () => {
    const path = tempFile(
      'unifiedlog.ndjson',
      [
        logLine(
          '21:00:00',
          '/usr/sbin/sshd',
          'Accepted publickey for acme-tech from 198.51.100.40 port 5000 ssh2',
        ),
        logLine(
          '21:05:00',
          SUDO,
          'acme-tech : 3 incorrect password attempts ; TTY=ttys001 ; PWD=/Users/acme-tech ; USER=root ; COMMAND=/usr/sbin/dseditgroup -o edit -a acme-tech -t user admin',
        ),
        logLine(
          '21:10:00',
          SUDO,
          sudo('acme-tech', '/sbin/mount_smbfs //fs01/Finance /Volumes/Finance'),
        ),
      ].join('\n'),
    );
    assert.equal(an1346(await scanWithPack([path], ACME)).length, 0);
  });

  it('accepts su to root and an ssh hop', async () => {
    const path = tempFile(
      'unifiedlog.ndjson',
      [
        logLine(
          '21:00:00',
          '/usr/sbin/sshd',
          'Accepted password for acme-tech from 198.51.100.40 port 5000 ssh2',
        ),
        logLine('21:05:00', '/usr/bin/su', 'acme-tech to root on /dev/ttys001'),
        logLine('21:30:00', SUDO, sudo('acme-tech', '/usr/bin/ssh admin@10.10.70.30')),
      ].join('\n'),
    );
    const alerts = an1346(await scanWithPack([path], ACME));
    assert.equal(alerts.length, 1);
    assert.deepEqual(evidenceKeys(alerts[0] as Alert), [
      '1:unifiedlog.ndjson#1',
      '2:unifiedlog.ndjson#2',
      '3:unifiedlog.ndjson#3',
    ]);
  });
});
