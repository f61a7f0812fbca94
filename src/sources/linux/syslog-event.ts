import { isIP } from 'node:net';
import type { Event, EventCore, Origin } from '../../model/event.js';
import type { ParseContext } from '../format.js';
import { isSshdProgram } from '../openssh.js';
import { isValidTime, missingTime } from '../record-time.js';
import { ACCOUNT_PROGRAMS, parseAccountMessage } from './account-messages.js';
import { parseLogindMessage, parsePamMessage } from './session-messages.js';
import { type MessageFields, parseSshdMessage } from './sshd-messages.js';
import { parseSudoMessage, parseSuMessage } from './sudo-messages.js';
import type { SyslogHeader } from './syslog-line.js';

/**
 * Events of Linux syslog messages, shared by the syslog file and journald readers. Fields:
 *
 * - the header: `hostname`, `program`, `pid`, `message`, and where the line carries them
 *   `facility`, `severity`, `msgid`, `structured_data`;
 * - what the message parsers read (sshd, sudo, su, PAM, systemd-logind, the shadow-utils account
 *   tools): `action` names the message (`ssh_login`, `sudo_command`, `su_session`,
 *   `pam_session_opened`, `user_created` …), with `user`, `source_ip`, `source_port`,
 *   `auth_method`, `key_type`, `key_fingerprint`, `target_user`, `tty`, `pwd`, `command`,
 *   `command_path`, `reason`, `session_id`, `by_user`, `uid`, `group` and the like.
 *
 * The public Sigma rules for `product: linux` services (auth, sshd, sudo, syslog, cron) search
 * keywords in the message, which these events keep whole; the named fields serve the shipped
 * chain rules and `process_creation` (a sudo command, see the Linux log source mappings).
 */

export const LINUX_PRODUCT = 'linux';

/** Parses the message of a program into fields; unknown messages give none. */
export function parseMessage(program: string | undefined, message: string): MessageFields {
  if (message.startsWith('pam_')) {
    const pam = parsePamMessage(message);
    if (pam) return pam;
  }
  const name = program?.toLowerCase();
  let fields: MessageFields | undefined;
  if (isSshdProgram(name)) fields = parseSshdMessage(message);
  else if (name === 'sudo') fields = parseSudoMessage(message);
  else if (name === 'su') fields = parseSuMessage(message);
  else if (name === 'systemd-logind') fields = parseLogindMessage(message);
  else if (name !== undefined && ACCOUNT_PROGRAMS.has(name)) fields = parseAccountMessage(message);
  return fields ?? {};
}

/** Fields of a header and its parsed message, header first. */
export function syslogFields(header: SyslogHeader): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (header.hostname !== undefined) fields.hostname = header.hostname;
  if (header.program !== undefined) fields.program = header.program;
  if (header.pid !== undefined) fields.pid = header.pid;
  fields.message = header.message;
  if (header.facility !== undefined) fields.facility = header.facility;
  if (header.severity !== undefined) fields.severity = header.severity;
  if (header.msgid !== undefined) fields.msgid = header.msgid;
  if (header.structuredData !== undefined) fields.structured_data = header.structuredData;
  Object.assign(fields, parseMessage(header.program, header.message));
  return fields;
}

const FAILURES = new Set([
  'ssh_login_failed',
  'ssh_invalid_user',
  'ssh_user_not_allowed',
  'ssh_max_auth_attempts',
  'ssh_pam_failure',
  'sudo_rejected',
  'su_failed',
  'pam_auth_failure',
]);

const ELEVATING_SERVICES = /^(su|su-l|sudo|sudo-i)$/;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Computes the normalized core of a syslog event. */
export function syslogCore(fields: Record<string, unknown>): EventCore {
  const core: EventCore = {};
  const action = text(fields.action);
  const user = text(fields.user);
  const byUser = text(fields.by_user);

  // A PAM session of su or sudo is opened by the elevating user for the target user, and a PAM
  // authentication failure names who tried (ruser, logname) apart from the account (user).
  const elevating =
    action === 'pam_session_opened' && ELEVATING_SERVICES.test(String(fields.pam_service));
  const failedAuth = action === 'pam_auth_failure';
  let actor = user;
  if (elevating) actor = byUser ?? user;
  else if (failedAuth) actor = text(fields.ruser) ?? text(fields.logname) ?? user;
  if (actor !== undefined) core.actor = actor;

  const host = text(fields.hostname);
  if (host !== undefined) core.host = host;
  const address = text(fields.source_ip) ?? text(fields.rhost);
  if (address !== undefined && isIP(address) !== 0) core.srcIp = address;

  const target =
    text(fields.target_user) ?? text(fields.group) ?? (elevating || failedAuth ? user : undefined);
  if (target !== undefined) core.target = target;
  if (text(fields.session_id)) core.session = fields.session_id as string;
  else if (text(fields.pid) && text(fields.program))
    core.session = `${fields.program}[${fields.pid}]`;

  if (action !== undefined) {
    core.action = action;
    core.outcome = FAILURES.has(action) ? 'failure' : 'success';
  }
  return core;
}

/** Describes the message in one line, with the values an analyst looks at first. */
export function syslogSummary(fields: Record<string, unknown>, core: EventCore): string {
  const parts: string[] = [];
  const program = text(fields.program) ?? 'syslog';
  parts.push(text(fields.action) ?? program);
  if (core.actor) parts.push(core.actor);
  if (text(fields.auth_method)) parts.push(`by ${fields.auth_method}`);
  if (text(fields.source_ip)) parts.push(`from ${fields.source_ip}`);
  if (core.target) {
    // The account a sudo, su or PAM session runs as; the account or group a tool changed.
    const elevation = /^(sudo|su|pam)_/.test(String(fields.action));
    parts.push(elevation ? `as ${core.target}` : core.target);
  }
  const detail = text(fields.command) ?? (fields.action ? undefined : text(fields.message));
  if (detail) parts.push(detail.length > 160 ? `${detail.slice(0, 159)}…` : detail);
  if (core.host) parts.push(`on ${core.host}`);
  return parts.join(' ');
}

/**
 * Assembles the Event of a syslog message. A header without a readable time follows
 * `settings.missing_time` (see `missingTime`).
 */
export function syslogEvent(
  format: string,
  header: SyslogHeader,
  fields: Record<string, unknown>,
  origin: Origin,
  context: ParseContext,
): Event {
  const { time, timeText } = isValidTime(header.time)
    ? header
    : missingTime(unreadableStamp(header.timeText), header.timeText, context, origin);
  const core = syslogCore(fields);
  return {
    time,
    timeText,
    format,
    logsource: { product: LINUX_PRODUCT, service: 'syslog' },
    fields,
    core,
    extra: {},
    origin,
    summary: syslogSummary(fields, core),
  };
}

function unreadableStamp(timeText: string): string {
  return timeText === '' ? 'the record has no timestamp' : `unreadable timestamp "${timeText}"`;
}
