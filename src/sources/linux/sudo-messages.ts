import type { MessageFields } from './sshd-messages.js';

/**
 * sudo and su messages. sudo logs one line per command, `alice : TTY=pts/0 ; PWD=/home/alice ;
 * USER=root ; COMMAND=/usr/bin/id`, with the reason first when it rejects the command
 * (`user NOT in sudoers ; …`, `3 incorrect password attempts ; …`). su (util-linux) logs
 * `(to root) alice on pts/0` and `FAILED SU (to root) alice on pts/0`; the shadow-utils su logs
 * `Successful su for root by alice` and `FAILED su for root by alice`.
 */

const SUDO_KEYS: Record<string, string> = {
  TTY: 'tty',
  PWD: 'pwd',
  USER: 'target_user',
  GROUP: 'target_group',
  ENV: 'env',
  TSID: 'tsid',
  COMMAND: 'command',
};

/** Fields of a sudo command line, or undefined for other sudo messages. */
export function parseSudoMessage(message: string): MessageFields | undefined {
  const match = /^\s*(\S+) : ([\s\S]*)$/.exec(message);
  if (!match) return undefined;
  const fields: MessageFields = { user: match[1] as string };
  const reasons: string[] = [];
  let rest = match[2] as string;
  let sawKey = false;

  while (rest.length > 0) {
    // COMMAND comes last and may itself contain " ; ", so it takes the rest of the line.
    if (rest.startsWith('COMMAND=')) {
      fields.command = rest.slice('COMMAND='.length);
      sawKey = true;
      break;
    }
    const cut = rest.indexOf(' ; ');
    const part = cut < 0 ? rest : rest.slice(0, cut);
    rest = cut < 0 ? '' : rest.slice(cut + 3);
    const equals = part.indexOf('=');
    const name = equals > 0 ? SUDO_KEYS[part.slice(0, equals)] : undefined;
    if (name) {
      fields[name] = part.slice(equals + 1);
      sawKey = true;
    } else if (part.trim().length > 0) {
      reasons.push(part.trim());
    }
  }
  if (!sawKey) return undefined;

  if (reasons.length > 0) {
    fields.action = 'sudo_rejected';
    fields.reason = reasons.join('; ');
  } else {
    fields.action = 'sudo_command';
  }
  if (typeof fields.command === 'string') {
    const path = fields.command.trim().split(/\s+/, 1)[0];
    if (path) fields.command_path = path;
  }
  return fields;
}

const SU_PATTERNS: [RegExp, (match: RegExpExecArray) => MessageFields][] = [
  [
    /^(FAILED SU )?\(to (\S+)\) (\S+) on (\S+)$/,
    (m) => ({
      action: m[1] ? 'su_failed' : 'su_session',
      target_user: m[2] as string,
      user: m[3] as string,
      tty: m[4] as string,
    }),
  ],
  [
    /^(Successful|FAILED) su for (\S+) by (\S+)$/,
    (m) => ({
      action: m[1] === 'FAILED' ? 'su_failed' : 'su_session',
      target_user: m[2] as string,
      user: m[3] as string,
    }),
  ],
  [
    /^([+-]) (\S+) (\S+):(\S+)$/,
    (m) => ({
      action: m[1] === '-' ? 'su_failed' : 'su_session',
      tty: m[2] as string,
      user: m[3] as string,
      target_user: m[4] as string,
    }),
  ],
];

/** Fields of an su message, or undefined for other su messages. */
export function parseSuMessage(message: string): MessageFields | undefined {
  for (const [regex, read] of SU_PATTERNS) {
    const match = regex.exec(message);
    if (match) return read(match);
  }
  return undefined;
}
