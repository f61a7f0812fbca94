import type { MessageFields } from './sshd-messages.js';

/**
 * PAM module messages, which every program that authenticates writes under its own tag
 * (`pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)`), and
 * systemd-logind's session messages (`New session 318 of user alice.`). A logind session id is
 * the audit session id (`ses=`) of the same login, which links auth.log to audit.log.
 */

const PAM = /^(pam_\w+)\(([^:)]+):(\w+)\): ([\s\S]*)$/;
const SESSION_OPENED =
  /^session opened for user (\S+?)(?:\(uid=(\d+)\))? by (\S*?)(?:\(uid=(\d+)\))?$/;
const SESSION_CLOSED = /^session closed for user (\S+)/;
const PASSWORD_CHANGED = /^password changed for (\S+)/;

/** Fields of a PAM module message, or undefined when the message is not one. */
export function parsePamMessage(message: string): MessageFields | undefined {
  const match = PAM.exec(message);
  if (!match) return undefined;
  const fields: MessageFields = {
    pam_module: match[1] as string,
    pam_service: match[2] as string,
    pam_type: match[3] as string,
  };
  const text = match[4] as string;

  const opened = SESSION_OPENED.exec(text);
  if (opened) {
    fields.action = 'pam_session_opened';
    fields.user = opened[1] as string;
    if (opened[2]) fields.uid = opened[2];
    if (opened[3]) fields.by_user = opened[3];
    if (opened[4]) fields.by_uid = opened[4];
    return fields;
  }
  const closed = SESSION_CLOSED.exec(text);
  if (closed) {
    fields.action = 'pam_session_closed';
    fields.user = closed[1] as string;
    return fields;
  }
  const changed = PASSWORD_CHANGED.exec(text);
  if (changed) {
    fields.action = 'password_changed';
    fields.target_user = changed[1] as string;
    return fields;
  }
  if (text.startsWith('authentication failure;')) {
    fields.action = 'pam_auth_failure';
    Object.assign(fields, keyValues(text.slice('authentication failure;'.length)));
    return fields;
  }
  fields.action = 'pam_message';
  return fields;
}

/** `logname=bob uid=1117 euid=0 tty=/dev/pts/1 ruser=alice rhost=  user=root`; empty values left out. */
function keyValues(text: string): MessageFields {
  const fields: MessageFields = {};
  for (const match of text.matchAll(/(\w+)=(\S*)/g)) {
    if (match[2]) fields[match[1] as string] = match[2];
  }
  return fields;
}

/** Fields of a systemd-logind session message, or undefined for other logind messages. */
export function parseLogindMessage(message: string): MessageFields | undefined {
  let match = /^New session (\S+) of user (\S+?)\.?$/.exec(message);
  if (match) {
    return {
      action: 'logind_session_opened',
      session_id: match[1] as string,
      user: match[2] as string,
    };
  }
  match = /^Session (\S+) logged out\./.exec(message);
  if (match) return { action: 'logind_session_logged_out', session_id: match[1] as string };
  match = /^Removed session (\S+?)\.?$/.exec(message);
  if (match) return { action: 'logind_session_closed', session_id: match[1] as string };
  return undefined;
}
