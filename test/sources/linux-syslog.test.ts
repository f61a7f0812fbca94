import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage } from '../../src/sources/linux/syslog-event.js';
import { loadRules, matchTitles } from '../helpers/engine.js';
import { parsePaths, parseText } from '../helpers/read-inputs.js';
import { fixturePath } from '../helpers/shared.js';

const UTC_2024 = { syslog: { year: 2024, timezone: 'UTC' } };

describe('syslog line layouts', () => {
  it('reads traditional, RFC 3339 and RFC 5424 headers', async () => {
    const text = [
      'Mar 22 09:02:11 web01 sshd[4211]: Server listening on 0.0.0.0 port 22.',
      '2024-03-20T01:21:08.612762+00:00 web01 CRON[4984]: pam_unix(cron:session): session closed for user root',
      '<38>1 2024-03-20T01:21:08.612Z web01 sshd 4211 ID47 [origin ip="10.0.0.1"] Server listening on :: port 22.',
      '<86>Mar 22 09:02:12 web01 sudo: pam_unix(sudo:session): session closed for user root',
    ].join('\n');
    const parsed = await parseText('auth.log', text, UTC_2024);
    assert.equal(parsed.format, 'linux-syslog');
    assert.deepEqual(parsed.rejections, []);
    const [traditional, rfc3339, rfc5424, withPri] = parsed.events.map((event) => event.fields);
    assert.deepEqual(
      [traditional?.hostname, traditional?.program, traditional?.pid],
      ['web01', 'sshd', '4211'],
    );
    assert.equal(rfc3339?.program, 'CRON');
    assert.equal(rfc3339?.action, 'pam_session_closed');
    assert.equal(rfc5424?.msgid, 'ID47');
    assert.equal(rfc5424?.structured_data, '[origin ip="10.0.0.1"]');
    assert.equal(rfc5424?.facility, 'auth');
    assert.equal(rfc5424?.message, 'Server listening on :: port 22.');
    assert.equal(withPri?.facility, 'authpriv');
    assert.equal(withPri?.severity, 'info');
    assert.equal(new Date(parsed.events[1]?.time ?? 0).toISOString(), '2024-03-20T01:21:08.612Z');
  });

  it('rejects a line without a header', async () => {
    const text =
      'Mar 22 09:02:11 web01 sshd[1]: Server listening on :: port 22.\nnot a syslog line\n\n';
    const parsed = await parseText('auth.log', text, UTC_2024);
    assert.equal(parsed.events.length, 1);
    assert.equal(parsed.rejections.length, 1);
    const rejection = parsed.rejections[0];
    assert.equal(rejection?.code, 'invalid_syslog');
    assert.equal(rejection?.origin.line, 2);
    assert.equal(rejection?.origin.file, 'auth.log');
    assert.equal(rejection?.snippet, 'not a syslog line');
  });
});

describe('sshd messages', () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      'Accepted publickey for deploy from 203.0.113.25 port 44118 ssh2: ED25519 SHA256:8WqGN9MbFv699LRdMMGAMrpW1Oz3aabrhWEyDqHyPM0',
      {
        action: 'ssh_login',
        auth_method: 'publickey',
        user: 'deploy',
        source_ip: '203.0.113.25',
        source_port: '44118',
        protocol: 'ssh2',
        key_type: 'ED25519',
        key_fingerprint: 'SHA256:8WqGN9MbFv699LRdMMGAMrpW1Oz3aabrhWEyDqHyPM0',
      },
    ],
    [
      'Failed password for invalid user admin from 192.0.2.113 port 61971 ssh2',
      {
        action: 'ssh_login_failed',
        auth_method: 'password',
        invalid_user: true,
        user: 'admin',
        source_ip: '192.0.2.113',
        source_port: '61971',
        protocol: 'ssh2',
      },
    ],
    [
      'Invalid user test from 192.0.2.113 port 31012',
      { action: 'ssh_invalid_user', user: 'test', source_ip: '192.0.2.113', source_port: '31012' },
    ],
    [
      'Connection from 203.0.113.25 port 44118 on 10.20.1.16 port 22 rdomain ""',
      {
        action: 'ssh_connection',
        source_ip: '203.0.113.25',
        source_port: '44118',
        local_ip: '10.20.1.16',
        local_port: '22',
      },
    ],
    [
      'Received disconnect from 192.0.2.45 port 62868:11: Bye Bye [preauth]',
      {
        action: 'ssh_disconnect',
        source_ip: '192.0.2.45',
        source_port: '62868',
        disconnect_code: '11',
        reason: 'Bye Bye',
        preauth: true,
      },
    ],
    [
      'Disconnected from user mon 10.20.0.9 port 46768',
      { action: 'ssh_disconnect', user: 'mon', source_ip: '10.20.0.9', source_port: '46768' },
    ],
    [
      'Connection closed by invalid user test 192.0.2.113 port 31012 [preauth]',
      {
        action: 'ssh_connection_closed',
        reason: 'connection closed',
        invalid_user: true,
        user: 'test',
        source_ip: '192.0.2.113',
        source_port: '31012',
        preauth: true,
      },
    ],
    [
      'Accepted key ED25519 SHA256:BWNU found at /root/.ssh/authorized_keys:2',
      {
        action: 'ssh_key_found',
        key_type: 'ED25519',
        key_fingerprint: 'SHA256:BWNU',
        key_file: '/root/.ssh/authorized_keys:2',
      },
    ],
    [
      'subsystem request for sftp by user vendor-initech',
      { action: 'ssh_subsystem', subsystem: 'sftp', user: 'vendor-initech' },
    ],
  ];
  for (const [message, expected] of cases) {
    it(`reads ${expected.action}: ${message.slice(0, 40)}`, () => {
      assert.deepEqual(parseMessage('sshd', message), expected);
    });
  }
});

describe('sudo and su messages', () => {
  it('reads a sudo command containing " ; "', () => {
    assert.deepEqual(
      parseMessage(
        'sudo',
        'ansible : TTY=unknown ; PWD=/home/ansible ; USER=root ; COMMAND=/bin/sh -c echo BECOME-SUCCESS-p0vd ; /usr/bin/python3',
      ),
      {
        user: 'ansible',
        tty: 'unknown',
        pwd: '/home/ansible',
        target_user: 'root',
        command: '/bin/sh -c echo BECOME-SUCCESS-p0vd ; /usr/bin/python3',
        action: 'sudo_command',
        command_path: '/bin/sh',
      },
    );
  });

  it('reads a rejected sudo with its reason', () => {
    const fields = parseMessage(
      'sudo',
      '   alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash',
    );
    assert.equal(fields.action, 'sudo_rejected');
    assert.equal(fields.reason, '3 incorrect password attempts');
    assert.equal(fields.user, 'alice');
    assert.equal(fields.target_user, 'root');
  });

  it('reads su sessions and failures', () => {
    assert.deepEqual(parseMessage('su', '(to root) vendor-initech on pts/2'), {
      action: 'su_session',
      target_user: 'root',
      user: 'vendor-initech',
      tty: 'pts/2',
    });
    assert.equal(parseMessage('su', 'FAILED SU (to root) alice on pts/0').action, 'su_failed');
    assert.equal(parseMessage('su', 'FAILED su for root by alice').action, 'su_failed');
    assert.equal(parseMessage('su', 'Successful su for root by alice').action, 'su_session');
  });

  it('reads PAM sessions opened by the elevating user', () => {
    assert.deepEqual(
      parseMessage(
        'su',
        'pam_unix(su-l:session): session opened for user root(uid=0) by vendor-initech(uid=0)',
      ),
      {
        pam_module: 'pam_unix',
        pam_service: 'su-l',
        pam_type: 'session',
        action: 'pam_session_opened',
        user: 'root',
        uid: '0',
        by_user: 'vendor-initech',
        by_uid: '0',
      },
    );
  });
});

describe('account and session messages', () => {
  it('reads account tools', () => {
    assert.deepEqual(parseMessage('usermod', "add 'svc' to group 'sudo'"), {
      action: 'group_member_added',
      target_user: 'svc',
      group: 'sudo',
    });
    assert.deepEqual(parseMessage('gpasswd', 'user svc added by root to group wheel'), {
      action: 'group_member_added',
      target_user: 'svc',
      by_user: 'root',
      group: 'wheel',
    });
    assert.equal(parseMessage('userdel', "delete user 'svc'").action, 'user_deleted');
    assert.equal(
      parseMessage('passwd', 'pam_unix(passwd:chauthtok): password changed for svc').action,
      'password_changed',
    );
  });

  it('reads the fields of created users', () => {
    assert.deepEqual(
      parseMessage(
        'useradd',
        'new user: name=postgres, UID=115, GID=122, home=/var/lib/postgresql, shell=/bin/bash, from=none',
      ),
      {
        action: 'user_created',
        target_user: 'postgres',
        uid: '115',
        gid: '122',
        home: '/var/lib/postgresql',
        shell: '/bin/bash',
        from: 'none',
      },
    );
    assert.deepEqual(parseMessage('groupadd', 'new group: name=postgres, GID=122'), {
      action: 'group_created',
      group: 'postgres',
      gid: '122',
    });
  });

  it('reads usermod attribute changes', () => {
    assert.deepEqual(
      parseMessage(
        'usermod',
        "change user 'www-data' shell from '/usr/sbin/nologin' to '/bin/bash'",
      ),
      {
        action: 'user_modified',
        target_user: 'www-data',
        change: "shell from '/usr/sbin/nologin' to '/bin/bash'",
        shell: '/bin/bash',
      },
    );
    assert.deepEqual(parseMessage('usermod', "change user 'svc-backup' UID from '1005' to '0'"), {
      action: 'user_modified',
      target_user: 'svc-backup',
      change: "UID from '1005' to '0'",
      uid: '0',
    });
    assert.deepEqual(parseMessage('usermod', "change user 'svc-backup' password"), {
      action: 'password_changed',
      target_user: 'svc-backup',
    });
    assert.deepEqual(parseMessage('usermod', "add 'svc-backup' to shadow group 'sudo'"), {
      action: 'group_member_added',
      target_user: 'svc-backup',
      group: 'sudo',
    });
  });

  it('reads gpasswd and passwd lines', () => {
    assert.deepEqual(
      parseMessage('gpasswd', 'members of group wheel set by root to alice,svc-backup'),
      {
        action: 'group_members_set',
        group: 'wheel',
        by_user: 'root',
        members: 'alice,svc-backup',
      },
    );
    assert.deepEqual(
      parseMessage('gpasswd', 'user svc-backup added by root to group sudo in /etc/gshadow'),
      {
        action: 'group_member_added',
        target_user: 'svc-backup',
        by_user: 'root',
        group: 'sudo',
      },
    );
    assert.deepEqual(parseMessage('passwd', "password for 'svc-backup' changed by 'root'"), {
      action: 'password_changed',
      target_user: 'svc-backup',
      by_user: 'root',
    });
  });

  it('reads systemd-logind sessions', () => {
    assert.deepEqual(parseMessage('systemd-logind', 'New session 318 of user vendor-initech.'), {
      action: 'logind_session_opened',
      session_id: '318',
      user: 'vendor-initech',
    });
    assert.equal(
      parseMessage('systemd-logind', 'Removed session 318.').action,
      'logind_session_closed',
    );
  });

  it('leaves unknown messages unparsed', () => {
    assert.deepEqual(parseMessage('sshd', 'Server listening on 0.0.0.0 port 22.'), {});
    assert.deepEqual(parseMessage('kernel', 'eth0: link up'), {});
  });
});

describe('sshd local address', () => {
  it('adds the connection address to logins', async () => {
    const text = [
      'Mar 26 23:37:01 web02 sshd[8392]: Connection from 203.0.113.25 port 44118 on 10.20.1.16 port 22 rdomain ""',
      'Mar 26 23:37:02 web02 sshd[8392]: Accepted publickey for deploy from 203.0.113.25 port 44118 ssh2: ED25519 SHA256:x',
      'Mar 26 23:37:03 web02 sshd[8393]: Accepted publickey for mon from 10.20.0.9 port 44119 ssh2: ED25519 SHA256:y',
    ].join('\n');
    const parsed = await parseText('auth.log', text, UTC_2024);
    assert.equal(parsed.events[1]?.fields.local_ip, '10.20.1.16');
    assert.equal(parsed.events[1]?.fields.local_port, '22');
    assert.equal(parsed.events[2]?.fields.local_ip, undefined);
  });
});

describe('OpenSSH 9.8 and 10 program names', () => {
  // Lines as OpenSSH 10.0 writes them: the connection's process logs as
  // sshd-session, and messages before authentication come from sshd-auth.
  const text = [
    '2025-09-14T07:40:11.204511+00:00 web03 sshd-session[30061]: Connection from 198.51.100.77 port 50311 on 10.20.1.23 port 22 rdomain ""',
    '2025-09-14T07:40:11.912877+00:00 web03 sshd-session[30061]: Accepted publickey for vendor-initech from 198.51.100.77 port 50311 ssh2: ED25519 SHA256:NlEnQb4cYvsr2EV2dC46IFO0jbDpStmaqZZqwNipqeu',
    '2025-09-14T07:41:02.530127+00:00 web03 sshd-auth[30102]: Invalid user admin from 192.0.2.71 port 38116',
    '2025-09-14T07:41:03.930127+00:00 web03 sshd-session[30101]: Connection closed by invalid user admin 192.0.2.71 port 38116 [preauth]',
  ].join('\n');

  it('parses sshd-session and sshd-auth lines', async () => {
    const parsed = await parseText('auth.log', text);
    assert.deepEqual(parsed.rejections, []);
    const [connection, login, invalid, closed] = parsed.events.map((event) => event.fields);
    assert.equal(connection?.action, 'ssh_connection');
    assert.equal(login?.action, 'ssh_login');
    assert.equal(login?.user, 'vendor-initech');
    assert.equal(login?.source_ip, '198.51.100.77');
    assert.equal(login?.local_ip, '10.20.1.23');
    assert.equal(invalid?.action, 'ssh_invalid_user');
    assert.equal(closed?.action, 'ssh_connection_closed');
  });

  it('selects them by service sshd and auth', async () => {
    const set = loadRules({
      'sshd.yml': [
        'title: any sshd login',
        'logsource: {product: linux, service: sshd}',
        'detection: {login: {action: ssh_login}, condition: login}',
        '---',
        'title: any auth login',
        'logsource: {product: linux, service: auth}',
        'detection: {login: {action: ssh_login}, condition: login}',
      ].join('\n'),
    });
    const [, login] = (await parseText('auth.log', text)).events;
    assert.ok(login);
    assert.deepEqual(matchTitles(set, [login])[0]?.sort(), ['any auth login', 'any sshd login']);
  });
});

describe('syslog core', () => {
  it('names actor, address, host and target', async () => {
    const text = [
      'Mar 22 09:02:11 web01 sshd[53871]: Accepted publickey for vendor-initech from 198.51.100.78 port 50715 ssh2: ED25519 SHA256:P',
      'Mar 22 09:48:14 web01 sudo: vendor-initech : TTY=pts/0 ; PWD=/home/vendor-initech ; USER=root ; COMMAND=/bin/bash',
      'Jun  2 19:08:43 web01 sudo[654321]: pam_unix(sudo:auth): authentication failure; logname=bob uid=1117 euid=0 tty=/dev/pts/1 ruser=alice rhost= user=root',
    ].join('\n');
    const [login, sudo, failure] = (await parseText('auth.log', text, UTC_2024)).events;
    assert.deepEqual(login?.core, {
      actor: 'vendor-initech',
      host: 'web01',
      srcIp: '198.51.100.78',
      session: 'sshd[53871]',
      action: 'ssh_login',
      outcome: 'success',
    });
    assert.equal(sudo?.core.actor, 'vendor-initech');
    assert.equal(sudo?.core.target, 'root');
    assert.equal(sudo?.logsource.service, 'syslog');
    assert.equal(failure?.core.actor, 'alice');
    assert.equal(failure?.core.target, 'root');
    assert.equal(failure?.core.outcome, 'failure');
  });
});

describe('bundled auth logs', () => {
  it('parses every line of the Filebeat test logs', async () => {
    const [test, timestamp] = await parsePaths(
      [
        fixturePath('linux', 'beats-auth-test.log'),
        fixturePath('linux', 'beats-auth-timestamp.log'),
      ],
      UTC_2024,
    );
    assert.equal(test?.format, 'linux-syslog');
    assert.equal(test?.events.length, 10);
    assert.deepEqual(test?.rejections, []);
    assert.deepEqual(
      test?.events.map((event) => event.fields.action),
      [
        'ssh_login',
        'ssh_login',
        'ssh_invalid_user',
        'ssh_login_failed',
        'sudo_command',
        'ssh_no_identification',
        'sudo_command',
        'sudo_rejected',
        'group_created',
        'user_created',
      ],
    );
    assert.equal(timestamp?.events.length, 2);
    assert.deepEqual(timestamp?.rejections, []);
    assert.deepEqual(
      timestamp?.events.map((event) => new Date(event.time).toISOString()),
      ['2019-06-14T10:40:20.912Z', '2019-06-14T11:31:15.412Z'],
    );
  });
});
