import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeHex, decodeSockaddr, proctitleText } from '../../src/sources/linux/audit-decode.js';
import { parseAuditLine } from '../../src/sources/linux/audit-record.js';
import { JOIN_DISTANCE_LINES } from '../../src/sources/linux/auditd.js';
import { parsePaths, parseText } from '../helpers/read-inputs.js';
import { fixturePath } from '../helpers/shared.js';

const SSH_EVENT = [
  'type=SYSCALL msg=audit(1710901180.483:78678): arch=c000003e syscall=59 success=yes exit=0 a0=55d02e6a2695 a1=55d050b1e740 a2=55d08bf4153f a3=8 items=2 ppid=37793 pid=37800 auid=1004 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts2 ses=318 comm="ssh" exe="/usr/bin/ssh" subj=unconfined key="ssh_out"',
  'type=EXECVE msg=audit(1710901180.483:78678): argc=4 a0="ssh" a1="-i" a2="/root/.ssh/id_ed25519" a3="root@10.20.1.31"',
  'type=CWD msg=audit(1710901180.483:78678): cwd="/root"',
  'type=PATH msg=audit(1710901180.483:78678): item=0 name="/usr/bin/ssh" inode=562120 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
  'type=PATH msg=audit(1710901180.483:78678): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=1419249 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL',
  'type=PROCTITLE msg=audit(1710901180.483:78678): proctitle=737368002D69002F726F6F742F2E7373682F69645F6564323535313900726F6F744031302E32302E312E3331',
];

describe('audit value decoding', () => {
  it('decodes hex text and proctitles', () => {
    assert.equal(decodeHex('2F6574632F736861646F77'), '/etc/shadow');
    assert.equal(
      proctitleText(decodeHex('636174002F6574632F736861646F77') ?? ''),
      'cat /etc/shadow',
    );
    assert.equal(decodeHex('ffffff9c'), undefined);
    assert.equal(decodeHex('not hex'), undefined);
  });

  it('decodes IPv4 and IPv6 socket addresses', () => {
    assert.deepEqual(decodeSockaddr('02000016C0000201' + '0000000000000000'), {
      saddr_fam: 'inet',
      lport: '22',
      laddr: '192.0.2.1',
    });
    assert.deepEqual(
      decodeSockaddr(`0A000016000000002001${'0DB8'}${'0000'.repeat(5)}000100000000`),
      { saddr_fam: 'inet6', lport: '22', laddr: '2001:db8::1' },
    );
  });
});

describe('audit record lines', () => {
  it('unquotes and decodes values', () => {
    const record = parseAuditLine(
      'type=PATH msg=audit(1600000000.123:456): item=0 name=2F746D702F6120622E747874 nametype=CREATE',
    );
    assert.equal(record.type, 'PATH');
    assert.equal(record.serial, '456');
    assert.equal(record.time, 1600000000123);
    assert.equal(record.fields.name, '/tmp/a b.txt');
  });

  it('reads the message of a user-space record', () => {
    const record = parseAuditLine(
      'type=USER_LOGIN msg=audit(1710900849.523:78622): pid=36336 uid=0 auid=1004 ses=318 msg=\'op=login id=1004 exe="/usr/sbin/sshd" hostname=? addr=198.51.100.77 terminal=/dev/pts/2 res=success\'',
    );
    assert.equal(record.fields.op, 'login');
    assert.equal(record.fields.exe, '/usr/sbin/sshd');
    assert.equal(record.fields.addr, '198.51.100.77');
    assert.equal(record.fields.res, 'success');
    assert.equal(record.fields.pid, '36336');
  });

  it('reads node names and enriched interpretations', () => {
    const record = parseAuditLine(
      'node=web01 type=SYSCALL msg=audit(1710901051.483:78639): arch=c000003e syscall=257 success=yes auid=1004 uid=0 ses=318 comm="cat" exe="/usr/bin/cat" key="shadow"\u001dARCH=x86_64 SYSCALL=openat AUID="vendor-initech" UID="root"',
    );
    assert.equal(record.node, 'web01');
    assert.equal(record.fields.SYSCALL, 'openat');
    assert.equal(record.fields.AUID, 'vendor-initech');
    assert.equal(record.fields.auid, '1004');
  });

  it('joins an argument split over several fields', () => {
    const record = parseAuditLine(
      'type=EXECVE msg=audit(1600000000.123:7): argc=2 a0="echo" a1_len=10 a1[0]=68656C6C6F a1[1]=20776F726C',
    );
    assert.equal(record.fields.a1, 'hello worl');
    assert.equal(record.fields['a1[0]'], undefined);
  });

  it('splits hex-encoded key lists', () => {
    const record = parseAuditLine(
      'type=SYSCALL msg=audit(1600000000.123:8): syscall=2 key=61756F6D730164656C657465',
    );
    assert.deepEqual(record.fields.key, ['auoms', 'delete']);
  });
});

describe('audit account records', () => {
  it('reads shadow-utils account records', async () => {
    const text = [
      'type=USER_MGMT msg=audit(1713166625.220:78211): pid=8822 uid=0 auid=1004 ses=512 subj=unconfined msg=\'op=add-user-to-group grp="sudo" acct="svc-backup" exe="/usr/sbin/usermod" hostname=web01 addr=? terminal=pts/0 res=success\'',
      'type=USER_CHAUTHTOK msg=audit(1713166640.310:78214): pid=8840 uid=0 auid=1004 ses=512 subj=unconfined msg=\'op=PAM:chauthtok grantors=pam_pwquality,pam_unix acct="svc-backup" exe="/usr/bin/passwd" hostname=web01 addr=? terminal=pts/0 res=success\'',
      'type=ADD_USER msg=audit(1713166625.110:78209): pid=8815 uid=0 auid=1004 ses=512 subj=unconfined msg=\'op=add-user acct="postgres" exe="/usr/sbin/useradd" hostname=web01 addr=? terminal=pts/0 res=success\'',
    ].join('\n');
    const parsed = await parseText('audit.log', `${text}\n`);
    assert.deepEqual(parsed.rejections, []);
    const [group, password, added] = parsed.events.map((event) => event.fields);
    assert.equal(group?.type, 'USER_MGMT');
    assert.equal(group?.op, 'add-user-to-group');
    assert.equal(group?.grp, 'sudo');
    assert.equal(group?.acct, 'svc-backup');
    assert.equal(group?.res, 'success');
    assert.equal(password?.type, 'USER_CHAUTHTOK');
    assert.equal(password?.op, 'PAM:chauthtok');
    assert.equal(password?.acct, 'svc-backup');
    assert.equal(password?.res, 'success');
    assert.equal(added?.type, 'ADD_USER');
    assert.equal(added?.acct, 'postgres');
  });
});

describe('audit event joining', () => {
  it('joins the records of one event', async () => {
    const parsed = await parseText('audit.log', `${SSH_EVENT.join('\n')}\n`);
    assert.equal(parsed.format, 'linux-auditd');
    assert.equal(parsed.events.length, 1);
    assert.equal(parsed.records, 6);
    const event = parsed.events[0];
    assert.equal(event?.origin.record, 1);
    assert.deepEqual(event?.fields.type, ['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PROCTITLE']);
    assert.equal(event?.fields.a0, 'ssh');
    assert.equal(event?.fields.a3, 'root@10.20.1.31');
    assert.deepEqual(event?.fields.name, ['/usr/bin/ssh', '/lib64/ld-linux-x86-64.so.2']);
    assert.equal(event?.fields.cmdline, 'ssh -i /root/.ssh/id_ed25519 root@10.20.1.31');
    assert.equal(event?.fields.proctitle, 'ssh -i /root/.ssh/id_ed25519 root@10.20.1.31');
    assert.equal(event?.fields.SYSCALL, 'execve');
    assert.equal(event?.fields.arch_name, 'x86_64');
    assert.equal(event?.fields.cwd, '/root');
    assert.equal(event?.core.session, '318');
    assert.equal(event?.core.actor, '1004');
    assert.equal(event?.core.target, '/usr/bin/ssh');
    assert.equal(event?.time, 1710901180483);
  });

  it('joins interleaved events and numbers them by first line', async () => {
    const other = (line: string) =>
      line.replace(/78678/g, '78679').replace('1710901180.483', '1710901180.484');
    const lines = [
      SSH_EVENT[0],
      other(SSH_EVENT[0] as string),
      SSH_EVENT[1],
      other(SSH_EVENT[1] as string),
      ...SSH_EVENT.slice(2),
      ...SSH_EVENT.slice(2).map((line) => other(line)),
    ];
    const parsed = await parseText('audit.log', lines.join('\n'));
    assert.deepEqual(
      parsed.events.map((event) => [event.origin.record, event.timeText]),
      [
        [1, '1710901180.483:78678'],
        [2, '1710901180.484:78679'],
      ],
    );
    assert.equal(parsed.records, 12);
    for (const event of parsed.events) assert.equal(event.fields.argc, '4');
  });

  it('completes an event at EOE', async () => {
    const parsed = await parseText(
      'audit.log',
      [SSH_EVENT[0], 'type=EOE msg=audit(1710901180.483:78678): ', SSH_EVENT[1]].join('\n'),
    );
    assert.equal(parsed.events.length, 2);
    assert.equal(parsed.records, 3);
    assert.equal(parsed.events[0]?.fields.type, 'SYSCALL');
    assert.equal(parsed.events[1]?.fields.type, 'EXECVE');
  });

  it('completes an event after the join distance', async () => {
    const filler = Array.from(
      { length: JOIN_DISTANCE_LINES + 1 },
      (_, index) =>
        `type=USER_START msg=audit(1710901181.000:${90000 + index}): pid=1 uid=0 auid=0 ses=1 msg='op=PAM:session_open res=success'`,
    );
    const parsed = await parseText('audit.log', [SSH_EVENT[0], ...filler, SSH_EVENT[1]].join('\n'));
    const split = parsed.events.filter((event) => event.timeText === '1710901180.483:78678');
    assert.equal(split.length, 2);
    assert.equal(parsed.records, JOIN_DISTANCE_LINES + 3);
  });

  it('rejects non-audit lines by line', async () => {
    const parsed = await parseText(
      'audit.log',
      [SSH_EVENT[0], 'garbage in the middle', SSH_EVENT[1]].join('\n'),
    );
    assert.equal(parsed.events.length, 1);
    assert.equal(parsed.rejections.length, 1);
    assert.equal(parsed.rejections[0]?.code, 'invalid_audit_record');
    assert.equal(parsed.rejections[0]?.origin.line, 2);
    assert.equal(parsed.rejections[0]?.snippet, 'garbage in the middle');
  });
});

describe('bundled audit log', () => {
  it('joins the OTRF arp records into two events', async () => {
    const [parsed] = await parsePaths([fixturePath('linux', 'otrf-sh-arp-cache.audit.log')]);
    assert.equal(parsed?.format, 'linux-auditd');
    assert.equal(parsed?.records, 12);
    assert.deepEqual(parsed?.rejections, []);
    assert.deepEqual(
      parsed?.events.map((event) => [event.origin.record, event.fields.cmdline, event.fields.exe]),
      [
        [1, 'arp -a', '/usr/sbin/arp'],
        [7, 'grep -v ^?', '/bin/grep'],
      ],
    );
  });
});
