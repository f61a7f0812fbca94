import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/model/alert.js';
import { evidenceKeys, scanWithPack } from '../helpers/scan.js';

const INITECH = `
parties:
  - name: Initech Software
    kind: vendor
    accounts: ["vendor-initech"]
    networks: ["198.51.100.64/27"]
`;

/** The vendor's login and `sudo -i` on web01: the first two steps of every case below. */
const LOGIN_AND_ROOT = [
  '2024-04-15T08:31:05.020000+00:00 web01 sshd[8012]: Accepted publickey for vendor-initech from 198.51.100.77 port 52411 ssh2: ED25519 SHA256:NlEnQb4cYvsr2EV2dC46IFO0jbDpStmaqZZqwNipqeu',
  '2024-04-15T08:31:05.050000+00:00 web01 systemd-logind[812]: New session 512 of user vendor-initech.',
  '2024-04-15T08:33:05.020000+00:00 web01 sudo: vendor-initech : TTY=pts/0 ; PWD=/home/vendor-initech ; USER=root ; COMMAND=/bin/bash',
];

async function an1345(step3: string[], audit: string[] = []): Promise<Alert[]> {
  const dir = mkdtempSync(join(tmpdir(), 'trustwatch-an1345-'));
  const paths = [join(dir, 'auth.log')];
  writeFileSync(paths[0] as string, `${[...LOGIN_AND_ROOT, ...step3].join('\n')}\n`);
  if (audit.length > 0) {
    paths.push(join(dir, 'audit.log'));
    writeFileSync(paths[1] as string, `${audit.join('\n')}\n`);
  }
  const alerts = await scanWithPack(paths, INITECH);
  return alerts.filter((alert) => alert.analytic === 'AN1345');
}

describe('AN1345 account changes', () => {
  const granting: [string, string[]][] = [
    [
      'user in the human UID range',
      [
        '2024-04-15T08:40:00.110000+00:00 web01 useradd[9015]: new user: name=svc-backup, UID=1005, GID=1005, home=/home/svc-backup, shell=/usr/sbin/nologin, from=/dev/pts/0',
      ],
    ],
    [
      'second user with UID 0',
      [
        '2024-04-15T08:40:00.110000+00:00 web01 useradd[9015]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0',
      ],
    ],
    [
      'member of a privileged group',
      ["2024-04-15T08:40:00.220000+00:00 web01 usermod[9022]: add 'postgres' to group 'sudo'"],
    ],
    [
      'group members set by gpasswd',
      [
        '2024-04-15T08:40:00.220000+00:00 web01 gpasswd[9030]: members of group wheel set by root to alice,postgres',
      ],
    ],
    [
      'login shell for a system user',
      [
        "2024-04-15T08:40:00.220000+00:00 web01 usermod[9022]: change user 'www-data' shell from '/usr/sbin/nologin' to '/bin/bash'",
      ],
    ],
    [
      'password set by PAM',
      [
        '2024-04-15T08:40:00.330000+00:00 web01 passwd[9040]: pam_unix(passwd:chauthtok): password changed for postgres',
      ],
    ],
  ];
  for (const [name, lines] of granting) {
    it(`counts a ${name}`, async () => {
      const alerts = await an1345(lines);
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]?.actor, 'vendor-initech');
      assert.deepEqual(evidenceKeys(alerts[0] as Alert), [
        '1:auth.log#1',
        '2:auth.log#3',
        '3:auth.log#4',
      ]);
    });
  }

  it('ignores system accounts of package scripts', async () => {
    const alerts = await an1345([
      '2024-04-15T08:37:05.020000+00:00 web01 groupadd[8810]: group added to /etc/group: name=postgres, GID=122',
      '2024-04-15T08:37:05.025000+00:00 web01 groupadd[8810]: new group: name=postgres, GID=122',
      '2024-04-15T08:37:05.110000+00:00 web01 useradd[8815]: new user: name=postgres, UID=115, GID=122, home=/var/lib/postgresql, shell=/bin/bash, from=none',
      '2024-04-15T08:37:05.150000+00:00 web01 useradd[8816]: new user: name=_chrony, UID=116, GID=65534, home=/var/lib/chrony, shell=/usr/sbin/nologin, from=none',
      "2024-04-15T08:37:05.220000+00:00 web01 usermod[8822]: add 'postgres' to group 'ssl-cert'",
      "2024-04-15T08:37:05.222000+00:00 web01 usermod[8822]: add 'postgres' to shadow group 'ssl-cert'",
    ]);
    assert.deepEqual(alerts, []);
  });

  it('ignores a shell changed to nologin', async () => {
    const alerts = await an1345([
      "2024-04-15T08:40:00.220000+00:00 web01 usermod[9022]: change user 'svc-old' shell from '/bin/bash' to '/usr/sbin/nologin'",
    ]);
    assert.deepEqual(alerts, []);
  });

  it('counts audited privileged group changes', async () => {
    const alerts = await an1345(
      [],
      [
        'type=ADD_USER msg=audit(1713170400.110:78209): pid=9015 uid=0 auid=1004 ses=512 subj=unconfined msg=\'op=add-user acct="svc-backup" exe="/usr/sbin/useradd" hostname=web01 addr=? terminal=pts/0 res=success\'',
        'type=USER_MGMT msg=audit(1713170400.220:78211): pid=9022 uid=0 auid=1004 ses=512 subj=unconfined msg=\'op=add-user-to-group grp="sudo" acct="svc-backup" exe="/usr/sbin/usermod" hostname=web01 addr=? terminal=pts/0 res=success\'',
      ],
    );
    assert.equal(alerts.length, 1);
    assert.deepEqual(evidenceKeys(alerts[0] as Alert), [
      '1:auth.log#1',
      '2:auth.log#3',
      '3:audit.log#2',
    ]);
  });

  it('ignores audited user creation alone', async () => {
    const alerts = await an1345(
      [],
      [
        'type=ADD_USER msg=audit(1713170400.110:78209): pid=9015 uid=0 auid=1004 ses=512 subj=unconfined msg=\'op=add-user acct="postgres" exe="/usr/sbin/useradd" hostname=web01 addr=? terminal=pts/0 res=success\'',
        'type=USER_MGMT msg=audit(1713170400.220:78211): pid=9022 uid=0 auid=1004 ses=512 subj=unconfined msg=\'op=add-user-to-group grp="ssl-cert" acct="postgres" exe="/usr/sbin/usermod" hostname=web01 addr=? terminal=pts/0 res=success\'',
      ],
    );
    assert.deepEqual(alerts, []);
  });
});
