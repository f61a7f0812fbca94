import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseText } from '../helpers/read-inputs.js';

/** Entries in the shape `journalctl -o json` writes (values are strings, times in µs). */
function entry(message: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    __CURSOR: 's=6a1c;i=2a1;b=9f2;m=1c2;t=61421;x=7d3',
    __REALTIME_TIMESTAMP: '1710900849482913',
    __MONOTONIC_TIMESTAMP: '1821934612',
    _BOOT_ID: '9f2c1b7e5d4a4c3b8a7f6e5d4c3b2a19',
    PRIORITY: '6',
    SYSLOG_FACILITY: '4',
    SYSLOG_IDENTIFIER: 'sshd',
    _PID: '36336',
    _COMM: 'sshd',
    _HOSTNAME: 'web01',
    _TRANSPORT: 'syslog',
    MESSAGE: message,
    ...extra,
  });
}

describe('journald exports', () => {
  it('reads sshd messages with the syslog parsers', async () => {
    const text = [
      entry(
        'Accepted publickey for vendor-initech from 198.51.100.77 port 44182 ssh2: ED25519 SHA256:N',
      ),
      entry(
        'vendor-initech : TTY=pts/2 ; PWD=/home/vendor-initech ; USER=root ; COMMAND=/usr/bin/su -',
        {
          SYSLOG_IDENTIFIER: 'sudo',
          __REALTIME_TIMESTAMP: '1710901000482913',
        },
      ),
    ].join('\n');
    const parsed = await parseText('journal.json', text);
    assert.equal(parsed.format, 'journald-json');
    assert.deepEqual(parsed.rejections, []);
    const [login, sudo] = parsed.events;
    assert.equal(new Date(login?.time ?? 0).toISOString(), '2024-03-20T02:14:09.483Z');
    assert.equal(login?.fields.action, 'ssh_login');
    assert.equal(login?.fields.hostname, 'web01');
    assert.equal(login?.fields.program, 'sshd');
    assert.equal(login?.fields.pid, '36336');
    assert.equal(login?.fields.facility, 'auth');
    assert.equal(login?.fields.severity, 'info');
    assert.equal(login?.fields._HOSTNAME, 'web01');
    assert.equal(login?.core.srcIp, '198.51.100.77');
    assert.equal(login?.origin.record, 1);
    assert.equal(sudo?.fields.action, 'sudo_command');
    assert.equal(sudo?.fields.target_user, 'root');
    assert.equal(sudo?.origin.record, 2);
  });

  it('reads sshd-session entries like sshd', async () => {
    const session = { SYSLOG_IDENTIFIER: 'sshd-session', _COMM: 'sshd-session', _PID: '42362' };
    const text = [
      entry('Connection from 198.51.100.77 port 50311 on 10.20.1.23 port 22 rdomain ""', session),
      entry(
        'Accepted publickey for vendor-initech from 198.51.100.77 port 50311 ssh2: ED25519 SHA256:N',
        { ...session, __REALTIME_TIMESTAMP: '1710900850482913' },
      ),
    ].join('\n');
    const parsed = await parseText('journal.json', text);
    assert.deepEqual(parsed.rejections, []);
    const login = parsed.events[1];
    assert.equal(login?.fields.program, 'sshd-session');
    assert.equal(login?.fields.action, 'ssh_login');
    assert.equal(login?.fields.user, 'vendor-initech');
    assert.equal(login?.fields.local_ip, '10.20.1.23');
    assert.equal(login?.core.srcIp, '198.51.100.77');
  });

  it('decodes a message written as bytes', async () => {
    const bytes = [...Buffer.from('Invalid user t\u00e9st from 192.0.2.1 port 22')];
    const parsed = await parseText('journal.json', entry(bytes));
    assert.equal(parsed.events[0]?.fields.message, 'Invalid user t\u00e9st from 192.0.2.1 port 22');
    assert.equal(parsed.events[0]?.fields.user, 't\u00e9st');
  });

  it('rejects an entry without a time', async () => {
    const parsed = await parseText(
      'journal.json',
      [entry('Server listening on :: port 22.'), entry('x', { __REALTIME_TIMESTAMP: 'soon' })].join(
        '\n',
      ),
    );
    assert.equal(parsed.events.length, 1);
    assert.equal(parsed.rejections[0]?.code, 'invalid_time');
    assert.equal(parsed.rejections[0]?.origin.line, 2);
  });
});

describe('Log Analytics Syslog rows', () => {
  const row = (message: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      TimeGenerated: '2024-03-20T02:14:10.100Z',
      Computer: 'web01',
      EventTime: '2024-03-20T02:14:09Z',
      Facility: 'authpriv',
      HostName: 'web01',
      SeverityLevel: 'info',
      SyslogMessage: message,
      ProcessName: 'sshd',
      ProcessID: 36336,
      Type: 'Syslog',
      ...extra,
    });

  it('reads syslog messages and AUOMS audit records', async () => {
    const text = [
      row('Accepted password for alice from 198.51.100.9 port 5022 ssh2'),
      row(
        'type=AUOMS_EXECVE audit(1710900850.100:9): node=web01 syscall=execve success=yes pid=7 ses=12 auid=1004 exe="/usr/bin/ssh" cwd="/root" proctitle=ssh root@10.20.1.31',
        { ProcessName: 'auoms', Facility: 'user' },
      ),
    ].join('\n');
    const parsed = await parseText('syslog.json', text);
    assert.equal(parsed.format, 'log-analytics-syslog');
    assert.deepEqual(parsed.rejections, []);
    const [login, audit] = parsed.events;
    assert.equal(login?.fields.action, 'ssh_login');
    assert.equal(login?.fields.pid, '36336');
    assert.equal(login?.fields.facility, 'authpriv');
    assert.equal(new Date(login?.time ?? 0).toISOString(), '2024-03-20T02:14:09.000Z');
    assert.equal(audit?.logsource.service, 'auditd');
    assert.equal(audit?.fields.type, 'AUOMS_EXECVE');
    assert.equal(audit?.fields.proctitle, 'ssh root@10.20.1.31');
    assert.equal(audit?.fields.Computer, 'web01');
    assert.equal(audit?.core.host, 'web01');
    assert.equal(audit?.time, 1710900850100);
  });
});
