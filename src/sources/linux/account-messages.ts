import type { MessageFields } from './sshd-messages.js';

/**
 * Account and group changes as the shadow-utils tools log them: useradd, usermod, userdel,
 * groupadd, groupmod, groupdel, gpasswd, chage and passwd. The account the change is about is
 * `target_user` (or `group`). Who ran the tool is in the message only for gpasswd and passwd
 * (`by_user`). A user's new `uid`, `gid`, `home` and `shell` come from useradd's `new user:`
 * line and from usermod's `change user 'NAME' shell from 'OLD' to 'NEW'` lines.
 */

type Reader = (match: RegExpExecArray) => MessageFields;

/** `name=apache, UID=48, GID=48, home=/usr/share/httpd, shell=/sbin/nologin, from=/dev/pts/0` */
function commaPairs(text: string): MessageFields {
  const fields: MessageFields = {};
  for (const part of text.split(/,\s*/)) {
    const equals = part.indexOf('=');
    if (equals <= 0) continue;
    const key = part.slice(0, equals).trim().toLowerCase();
    const value = part.slice(equals + 1).trim();
    if (key === 'name') fields.name = value;
    else fields[key] = value;
  }
  return fields;
}

function renamed(fields: MessageFields, from: string, to: string): MessageFields {
  if (fields[from] !== undefined) {
    fields[to] = fields[from] as string;
    delete fields[from];
  }
  return fields;
}

const PATTERNS: [RegExp, Reader][] = [
  [
    /^new user: (.*)$/,
    (m) => ({
      action: 'user_created',
      ...renamed(commaPairs(m[1] as string), 'name', 'target_user'),
    }),
  ],
  [
    /^(?:new group|group added to \S+): (.*)$/,
    (m) => ({ action: 'group_created', ...renamed(commaPairs(m[1] as string), 'name', 'group') }),
  ],
  [
    /^add '([^']+)' to (?:shadow )?group '([^']+)'/,
    (m) => ({ action: 'group_member_added', target_user: m[1] as string, group: m[2] as string }),
  ],
  [
    /^user (\S+) added by (\S+) to group (\S+)/,
    (m) => ({
      action: 'group_member_added',
      target_user: m[1] as string,
      by_user: m[2] as string,
      group: m[3] as string,
    }),
  ],
  [
    /^members of group (\S+) set by (\S+) to (\S*)/,
    (m) => ({
      action: 'group_members_set',
      group: m[1] as string,
      by_user: m[2] as string,
      members: m[3] as string,
    }),
  ],
  [
    /^user (\S+) removed by (\S+) from group (\S+)/,
    (m) => ({
      action: 'group_member_removed',
      target_user: m[1] as string,
      by_user: m[2] as string,
      group: m[3] as string,
    }),
  ],
  [
    /^(?:delete|removed) user '([^']+)'/,
    (m) => ({ action: 'user_deleted', target_user: m[1] as string }),
  ],
  [
    /^(?:group '([^']+)' removed|removed group '([^']+)')/,
    (m) => ({ action: 'group_deleted', group: (m[1] ?? m[2]) as string }),
  ],
  [
    /^change user '([^']+)' password/,
    (m) => ({ action: 'password_changed', target_user: m[1] as string }),
  ],
  [
    /^change user '([^']+)' (shell|home|UID|GID) from '([^']*)' to '([^']*)'$/,
    (m) => ({
      action: 'user_modified',
      target_user: m[1] as string,
      change: `${m[2]} from '${m[3]}' to '${m[4]}'`,
      [(m[2] as string).toLowerCase()]: m[4] as string,
    }),
  ],
  [
    /^(?:change|lock|unlock) user '([^']+)'(.*)$/,
    (m) => ({
      action: 'user_modified',
      target_user: m[1] as string,
      change: (m[2] as string).trim(),
    }),
  ],
  [
    /^group changed in \S+ \((.*)\)$/,
    (m) => ({ action: 'group_modified', change: m[1] as string }),
  ],
  [
    /^password for '([^']+)' changed by '([^']+)'/,
    (m) => ({ action: 'password_changed', target_user: m[1] as string, by_user: m[2] as string }),
  ],
  [
    /^changed password expiry for (\S+)/,
    (m) => ({ action: 'user_modified', target_user: m[1] as string }),
  ],
];

/** Programs whose messages this parser reads. */
export const ACCOUNT_PROGRAMS: ReadonlySet<string> = new Set([
  'useradd',
  'usermod',
  'userdel',
  'groupadd',
  'groupmod',
  'groupdel',
  'gpasswd',
  'chage',
  'passwd',
  'adduser',
  'deluser',
]);

/** Fields of an account tool message, or undefined for messages this parser does not know. */
export function parseAccountMessage(message: string): MessageFields | undefined {
  for (const [regex, read] of PATTERNS) {
    const match = regex.exec(message);
    if (match) return read(match);
  }
  return undefined;
}
