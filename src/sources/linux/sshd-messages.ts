/**
 * OpenSSH server messages, as sshd writes them to the auth facility at the default LogLevel
 * INFO and at VERBOSE (`Connection from … on …`, `Accepted key … found at …`).
 */

export type MessageFields = Record<string, string | boolean>;

interface Pattern {
  regex: RegExp;
  read(match: RegExpExecArray): MessageFields;
}

/** `RSA SHA256:…`, `ED25519-CERT SHA256:… ID …` or an MD5 `39:33:…` after `ssh2: `. */
function keyFields(tail: string | undefined): MessageFields {
  if (!tail) return {};
  const [type, fingerprint] = tail.trim().split(/\s+/);
  const fields: MessageFields = {};
  if (type) fields.key_type = type;
  if (fingerprint) fields.key_fingerprint = fingerprint;
  return fields;
}

function preauth(text: string | undefined): MessageFields {
  return text ? { preauth: true } : {};
}

const PATTERNS: Pattern[] = [
  {
    regex: /^Accepted (\S+) for (\S+) from (\S+) port (\d+)(?: (ssh\d))?(?:: (.*))?$/,
    read: (m) => ({
      action: 'ssh_login',
      auth_method: m[1] as string,
      user: m[2] as string,
      source_ip: m[3] as string,
      source_port: m[4] as string,
      ...(m[5] ? { protocol: m[5] } : {}),
      ...keyFields(m[6]),
    }),
  },
  {
    regex: /^Failed (\S+) for (invalid user )?(\S*) from (\S+) port (\d+)(?: (ssh\d))?(?:: (.*))?$/,
    read: (m) => ({
      action: 'ssh_login_failed',
      auth_method: m[1] as string,
      ...(m[2] ? { invalid_user: true } : {}),
      user: m[3] as string,
      source_ip: m[4] as string,
      source_port: m[5] as string,
      ...(m[6] ? { protocol: m[6] } : {}),
      ...keyFields(m[7]),
    }),
  },
  {
    regex: /^Invalid user (.*?) from (\S+)(?: port (\d+))?$/,
    read: (m) => ({
      action: 'ssh_invalid_user',
      user: m[1] as string,
      source_ip: m[2] as string,
      ...(m[3] ? { source_port: m[3] } : {}),
    }),
  },
  {
    regex: /^Connection from (\S+) port (\d+) on (\S+) port (\d+)(?: rdomain "(.*)")?$/,
    read: (m) => ({
      action: 'ssh_connection',
      source_ip: m[1] as string,
      source_port: m[2] as string,
      local_ip: m[3] as string,
      local_port: m[4] as string,
    }),
  },
  {
    regex: /^Accepted key (\S+) (\S+) found at (.*)$/,
    read: (m) => ({
      action: 'ssh_key_found',
      key_type: m[1] as string,
      key_fingerprint: m[2] as string,
      key_file: m[3] as string,
    }),
  },
  {
    regex: /^Received disconnect from (\S+?)(?: port (\d+))?: ?(\d+): (.*?)( \[preauth\])?$/,
    read: (m) => ({
      action: 'ssh_disconnect',
      source_ip: m[1] as string,
      ...(m[2] ? { source_port: m[2] } : {}),
      disconnect_code: m[3] as string,
      reason: m[4] as string,
      ...preauth(m[5]),
    }),
  },
  {
    regex:
      /^Disconnected from (?:(?:invalid |authenticating )?user (\S+) )?(\S+) port (\d+)( \[preauth\])?$/,
    read: (m) => ({
      action: 'ssh_disconnect',
      ...(m[1] ? { user: m[1] } : {}),
      source_ip: m[2] as string,
      source_port: m[3] as string,
      ...preauth(m[4]),
    }),
  },
  {
    regex:
      /^Connection (closed|reset) by (?:(invalid|authenticating) user (\S*) )?(\S+) port (\d+)( \[preauth\])?$/,
    read: (m) => ({
      action: 'ssh_connection_closed',
      reason: `connection ${m[1]}`,
      ...(m[2] === 'invalid' ? { invalid_user: true } : {}),
      ...(m[3] !== undefined ? { user: m[3] } : {}),
      source_ip: m[4] as string,
      source_port: m[5] as string,
      ...preauth(m[6]),
    }),
  },
  {
    regex: /^subsystem request for (\S+) by user (\S+)/,
    read: (m) => ({ action: 'ssh_subsystem', subsystem: m[1] as string, user: m[2] as string }),
  },
  {
    regex: /^Starting session: (.+?) for (\S+) from (\S+) port (\d+)(?: id (\d+))?$/,
    read: (m) => ({
      action: 'ssh_session_started',
      session_type: m[1] as string,
      user: m[2] as string,
      source_ip: m[3] as string,
      source_port: m[4] as string,
    }),
  },
  {
    regex: /^Did not receive identification string from (\S+)(?: port (\d+))?$/,
    read: (m) => ({
      action: 'ssh_no_identification',
      source_ip: m[1] as string,
      ...(m[2] ? { source_port: m[2] } : {}),
    }),
  },
  {
    regex: /^User (\S+) from (\S+) not allowed because (.*)$/,
    read: (m) => ({
      action: 'ssh_user_not_allowed',
      user: m[1] as string,
      source_ip: m[2] as string,
      reason: m[3] as string,
    }),
  },
  {
    regex:
      /^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(\S+) from (\S+) port (\d+)/,
    read: (m) => ({
      action: 'ssh_max_auth_attempts',
      ...(m[1] ? { invalid_user: true } : {}),
      user: m[2] as string,
      source_ip: m[3] as string,
      source_port: m[4] as string,
    }),
  },
  {
    regex: /^error: PAM: (.+?) for (illegal user )?(\S+) from (\S+)$/,
    read: (m) => ({
      action: 'ssh_pam_failure',
      reason: m[1] as string,
      ...(m[2] ? { invalid_user: true } : {}),
      user: m[3] as string,
      source_ip: m[4] as string,
    }),
  },
];

/** Fields of an sshd message, or undefined for messages this parser does not know. */
export function parseSshdMessage(message: string): MessageFields | undefined {
  for (const pattern of PATTERNS) {
    const match = pattern.regex.exec(message);
    if (match) return pattern.read(match);
  }
  return undefined;
}
