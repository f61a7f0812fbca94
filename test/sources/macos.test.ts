import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseLogMessage } from '../../src/sources/macos/log-messages.js';
import { parseInput } from '../helpers/parse.js';
import { fixturePath } from '../helpers/shared.js';

describe('macos-unified-log source', () => {
  it('reads log show ndjson with its offsets', async () => {
    const parsed = await parseInput(fixturePath('macos', 'unifiedlog.ndjson'));
    assert.equal(parsed.format, 'macos-unified-log');
    assert.equal(parsed.events.length, 6);
    const first = parsed.events[0];
    assert.equal(first?.time, Date.parse('2024-05-06T19:12:41.331Z'));
    assert.deepEqual(first?.logsource, { product: 'macos', service: 'unified_log' });
    assert.equal(first?.fields.process, 'sshd-session');
    assert.equal(first?.fields.User, 'acme-tech');
    assert.equal(first?.fields.AuthMethod, 'keyboard-interactive/pam');
    assert.equal(first?.core.srcIp, '198.51.100.40');
    assert.equal(first?.core.outcome, 'success');
  });

  it('skips the summary record', async () => {
    const parsed = await parseInput(fixturePath('macos', 'unifiedlog.ndjson'));
    assert.deepEqual(parsed.rejections, []);
    assert.equal(parsed.skipped.length, 1);
    assert.equal(parsed.skipped[0]?.reason, 'log show summary');
    assert.equal(parsed.skipped[0]?.origin.record, 7);
  });

  it('skips the summary of a json array', async () => {
    const entry = {
      timestamp: '2024-05-06 21:12:41.331208+0200',
      eventMessage: 'Accepted publickey for acme-tech from 198.51.100.40 port 50122 ssh2',
      processImagePath: '/usr/libexec/sshd-session',
      bootUUID: 'B0B0B0B0-1111-2222-3333-444444444444',
      machTimestamp: 1,
    };
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-unifiedlog-'));
    const path = join(dir, 'unifiedlog.json');
    writeFileSync(path, JSON.stringify([entry, { count: 1, finished: 1 }], null, 2));
    const parsed = await parseInput(path);
    assert.equal(parsed.format, 'macos-unified-log');
    assert.equal(parsed.events.length, 1);
    assert.deepEqual(parsed.rejections, []);
    assert.equal(parsed.skipped[0]?.origin.record, 2);
  });

  it('still rejects other objects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustwatch-unifiedlog-'));
    const path = join(dir, 'unifiedlog.ndjson');
    const lines = readFileSync(fixturePath('macos', 'unifiedlog.ndjson'), 'utf8').trimEnd();
    writeFileSync(path, `${lines}\n{"count":6}\n`);
    const parsed = await parseInput(path);
    assert.equal(parsed.rejections.length, 1);
    assert.equal(parsed.rejections[0]?.code, 'unexpected_shape');
    assert.equal(parsed.skipped.length, 1);
  });

  it('reads sudo, su, screen sharing and profile messages', async () => {
    const parsed = await parseInput(fixturePath('macos', 'unifiedlog.ndjson'));
    const [, screen, sudo, refused, su, profile] = parsed.events;
    assert.equal(screen?.fields.Result, 'FAILED');
    assert.equal(screen?.core.outcome, 'failure');
    assert.equal(sudo?.fields.TargetUser, 'root');
    assert.equal(sudo?.fields.Image, '/usr/sbin/dseditgroup');
    assert.equal(
      sudo?.fields.CommandLine,
      '/usr/sbin/dseditgroup -o edit -a acme-tech -t user admin',
    );
    assert.equal(sudo?.fields.CurrentDirectory, '/Users/acme-tech');
    assert.equal(refused?.fields.Reason, '3 incorrect password attempts');
    assert.equal(refused?.core.outcome, 'failure');
    assert.equal(su?.fields.TargetUser, 'root');
    assert.equal(su?.core.actor, 'acme-tech');
    assert.equal(profile?.fields.ProfileIdentifier, 'com.partner.agent.settings');
    assert.equal(profile?.core.app, 'com.partner.agent.settings');
  });

  it('reads the log show json array', async () => {
    const parsed = await parseInput(fixturePath('macos', 'unifiedlog-style-json.json'));
    assert.equal(parsed.format, 'macos-unified-log');
    assert.equal(parsed.events.length, 2);
    assert.equal(parsed.events[0]?.time, Date.parse('2024-01-16T04:30:00Z'));
    assert.equal(parsed.events[1]?.fields.User, 'itadmin');
    assert.equal(parsed.events[1]?.origin.record, 2);
  });
});

describe('unified log messages', () => {
  it('keeps a sudo command that contains semicolons', () => {
    const parsed = parseLogMessage(
      'sudo',
      'alice : TTY=ttys002 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh -c echo a ; echo b',
    );
    assert.equal(parsed?.fields.CommandLine, '/bin/sh -c echo a ; echo b');
    assert.equal(parsed?.fields.Image, '/bin/sh');
    assert.equal(parsed?.outcome, 'success');
  });

  it('reads sudo refusals and su failures', () => {
    const sudo = parseLogMessage(
      'sudo',
      'bob : user NOT in sudoers ; TTY=ttys000 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/id',
    );
    assert.equal(sudo?.fields.Reason, 'user NOT in sudoers');
    assert.equal(sudo?.outcome, 'failure');
    const su = parseLogMessage('su', 'BAD SU bob to root on /dev/ttys000');
    assert.equal(su?.outcome, 'failure');
  });

  it('reads sshd failures and disconnects', () => {
    const failed = parseLogMessage(
      'sshd',
      'Failed password for invalid user admin from 203.0.113.9 port 4242 ssh2',
    );
    assert.equal(failed?.fields.User, 'admin');
    assert.equal(failed?.fields.SourceIp, '203.0.113.9');
    assert.equal(failed?.outcome, 'failure');
    const closed = parseLogMessage(
      'sshd',
      'Received disconnect from 10.10.5.20 port 59815:11: disconnected by user',
    );
    assert.equal(closed?.fields.SourceIp, '10.10.5.20');
    assert.equal(parseLogMessage('trustd', 'OCSPSingleResponse: ocsp response is good'), undefined);
  });
});

describe('macos-eslogger source', () => {
  it('reads events by their name', async () => {
    const parsed = await parseInput(fixturePath('macos', 'eslogger.ndjson'));
    assert.equal(parsed.format, 'macos-eslogger');
    assert.equal(parsed.rejections.length, 0);
    assert.deepEqual(
      parsed.events.map((event) => event.fields.event_name),
      ['openssh_login', 'sudo', 'exec', 'mount', 'create', 'od_group_add'],
    );
    const [login, sudo] = parsed.events;
    assert.equal(login?.time, Date.parse('2024-05-06T19:12:41.331Z'));
    assert.equal(login?.core.actor, 'acme-tech');
    assert.equal(login?.core.srcIp, '198.51.100.40');
    assert.equal(login?.core.outcome, 'success');
    assert.equal(sudo?.fields.TargetUser, 'root');
    assert.equal(
      sudo?.fields.CommandLine,
      '/usr/sbin/dseditgroup -o edit -a acme-tech -t user admin',
    );
  });

  it('names exec and file fields as Sigma does', async () => {
    const parsed = await parseInput(fixturePath('macos', 'eslogger.ndjson'));
    const exec = parsed.events[2];
    assert.deepEqual(exec?.logsource, {
      product: 'macos',
      service: 'endpointsecurity',
      category: 'process_creation',
    });
    assert.equal(exec?.fields.Image, '/sbin/mount_smbfs');
    assert.equal(
      exec?.fields.CommandLine,
      '/sbin/mount_smbfs //acme-tech@fs01.corp.contoso.example/Finance /Volumes/Finance',
    );
    assert.equal(exec?.fields.ParentImage, '/usr/bin/sudo');
    assert.equal(exec?.fields.ProcessId, '7001');
    assert.equal(exec?.fields.CurrentDirectory, '/Users/acme-tech');
    assert.equal(exec?.core.actor, 'uid 502');
    const created = parsed.events[4];
    assert.equal(created?.logsource.category, 'file_event');
    assert.equal(
      created?.fields.TargetFilename,
      '/Users/acme-tech/Library/LaunchAgents/com.partner.agent.plist',
    );
    const group = parsed.events[5];
    assert.equal(group?.fields.Group, 'admin');
    assert.equal(group?.fields.Member, 'helper');
  });
});

describe('macos-bsm source', () => {
  it('places local event times in UTC', async () => {
    const parsed = await parseInput(fixturePath('macos', 'BSMmacOS_CL.slice.json'));
    assert.equal(parsed.format, 'macos-bsm');
    assert.equal(parsed.events.length, 5);
    assert.equal(parsed.rejections.length, 0);
    const first = parsed.events[0];
    assert.equal(first?.time, Date.parse('2021-01-07T05:20:50Z'));
    assert.equal(first?.core.actor, 'ruser');
    assert.equal(first?.core.session, '100006');
    assert.equal(first?.core.action, 'AUE_auth_user');
    assert.equal(first?.core.srcIp, undefined);
    assert.deepEqual(first?.logsource, { product: 'macos', service: 'bsm' });
    assert.equal(parsed.events[1]?.core.actor, 'root');
  });
});
