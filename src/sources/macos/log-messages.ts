import { SSHD_PROGRAMS } from '../openssh.js';

/**
 * Values read from the `eventMessage` of the unified log messages that record access and
 * privilege use on a Mac, by the process that writes them. Each parser returns the fields it
 * found, named as the Sigma rules for these activities name them elsewhere (`User`, `Image`,
 * `CommandLine`, `CurrentDirectory`) or plainly (`TargetUser`, `SourceIp`), and whether the
 * message records a success or a failure.
 */

export interface MessageFields {
  fields: Record<string, string>;
  outcome?: 'success' | 'failure';
}

type MessageParser = (message: string) => MessageFields | undefined;

const SSHD_PATTERNS: [RegExp, (match: RegExpExecArray) => MessageFields][] = [
  [
    /^Accepted (\S+) for (\S+) from (\S+) port (\d+)(?: (\S+))?/,
    (m) => ({
      fields: address(
        { AuthMethod: m[1] as string, User: m[2] as string, SourcePort: m[4] as string },
        m[3],
      ),
      outcome: 'success',
    }),
  ],
  [
    /^Failed (\S+) for (?:invalid user )?(\S+) from (\S+) port (\d+)/,
    (m) => ({
      fields: address(
        { AuthMethod: m[1] as string, User: m[2] as string, SourcePort: m[4] as string },
        m[3],
      ),
      outcome: 'failure',
    }),
  ],
  [
    /^Invalid user (\S*) from (\S+)(?: port (\d+))?/,
    (m) => ({ fields: address({ User: m[1] as string }, m[2]), outcome: 'failure' }),
  ],
  [
    /^Disconnected from (?:authenticating |invalid )?user (\S+) (\S+) port (\d+)/,
    (m) => ({ fields: address({ User: m[1] as string, SourcePort: m[3] as string }, m[2]) }),
  ],
  [
    /^(?:Received disconnect|Connection closed|Disconnected) (?:from|by) (?:authenticating user \S+ )?(\S+) port (\d+)/,
    (m) => ({ fields: address({ SourcePort: m[2] as string }, m[1]) }),
  ],
];

function address(fields: Record<string, string>, value: string | undefined) {
  if (value !== undefined) fields.SourceIp = value;
  return fields;
}

function parseSshd(message: string): MessageFields | undefined {
  for (const [pattern, build] of SSHD_PATTERNS) {
    const match = pattern.exec(message);
    if (match) return build(match);
  }
  return undefined;
}

const SCREEN_SHARING =
  /Authentication: (SUCCEEDED|FAILED) :: User Name: (.*?) :: Viewer Address: (\S+)(?: :: Type: (\S+))?/;

function parseScreenSharing(message: string): MessageFields | undefined {
  const match = SCREEN_SHARING.exec(message);
  if (!match) return undefined;
  const fields: Record<string, string> = { Result: match[1] as string, User: match[2] as string };
  address(fields, match[3]);
  if (match[4] !== undefined) fields.AuthType = match[4];
  return { fields, outcome: match[1] === 'SUCCEEDED' ? 'success' : 'failure' };
}

const SUDO_KEYS: Record<string, string> = {
  TTY: 'Tty',
  PWD: 'CurrentDirectory',
  USER: 'TargetUser',
  GROUP: 'TargetGroup',
};

/**
 * `user : TTY=ttys001 ; PWD=/Users/user ; USER=root ; COMMAND=/usr/bin/id`, with a reason
 * (`3 incorrect password attempts`, `user NOT in sudoers`) before `TTY=` when sudo refused.
 * The command is everything after `COMMAND=`, since it may itself contain ` ; `.
 */
function parseSudo(message: string): MessageFields | undefined {
  const head = /^\s*([^\s:]+) : (.*)$/s.exec(message);
  if (!head) return undefined;
  const fields: Record<string, string> = { User: head[1] as string };
  let rest = head[2] as string;
  const commandAt = rest.indexOf('COMMAND=');
  if (commandAt >= 0) {
    const command = rest.slice(commandAt + 'COMMAND='.length).trim();
    fields.CommandLine = command;
    fields.Image = command.split(/\s+/, 1)[0] as string;
    rest = rest.slice(0, commandAt);
  }
  const reasons: string[] = [];
  for (const part of rest.split(' ; ')) {
    const item = part.trim();
    if (item === '') continue;
    const equals = item.indexOf('=');
    const key = equals > 0 ? SUDO_KEYS[item.slice(0, equals)] : undefined;
    if (key !== undefined) fields[key] = item.slice(equals + 1);
    else if (equals < 0) reasons.push(item);
  }
  if (reasons.length > 0) fields.Reason = reasons.join('; ');
  if (fields.TargetUser === undefined && fields.CommandLine === undefined) return undefined;
  return { fields, outcome: reasons.length > 0 ? 'failure' : 'success' };
}

/** `user to root on /dev/ttys001`, and `BAD SU user to root on …` for a refused su. */
function parseSu(message: string): MessageFields | undefined {
  const match = /^(BAD SU )?(\S+) to (\S+) on (\S+)/.exec(message);
  if (!match) return undefined;
  return {
    fields: { User: match[2] as string, TargetUser: match[3] as string, Tty: match[4] as string },
    outcome: match[1] ? 'failure' : 'success',
  };
}

const PROFILE =
  /^(Installed|Removed) configuration profile: (.*) \(([^()\s]+)\) for (.*?) \(source: ([^)]+)\)/;

function parseMdmClient(message: string): MessageFields | undefined {
  const match = PROFILE.exec(message);
  if (!match) return undefined;
  return {
    fields: {
      ProfileAction: (match[1] as string).toLowerCase(),
      ProfileName: match[2] as string,
      ProfileIdentifier: match[3] as string,
      ProfileTarget: match[4] as string,
      ProfileSource: match[5] as string,
    },
    outcome: 'success',
  };
}

function parseNetAuth(message: string): MessageFields | undefined {
  const match = /URL = (\S+)/.exec(message);
  return match ? { fields: { Url: match[1] as string } } : undefined;
}

const PARSERS: Record<string, MessageParser> = {
  ...Object.fromEntries(SSHD_PROGRAMS.map((program) => [program, parseSshd])),
  screensharingd: parseScreenSharing,
  sudo: parseSudo,
  su: parseSu,
  mdmclient: parseMdmClient,
  NetAuthSysAgent: parseNetAuth,
};

/** Parses the message of a process whose messages trustwatch reads; undefined otherwise. */
export function parseLogMessage(process: string, message: string): MessageFields | undefined {
  return PARSERS[process]?.(message);
}
