import { RecordError } from '../../model/errors.js';
import { decodeHex, decodeSockaddr, isEncodedField, proctitleText } from './audit-decode.js';

/**
 * One line of a Linux audit log: `type=SYSCALL msg=audit(1600000000.123:456): key=value …`,
 * optionally after `node=NAME ` (auditd `name_format`), and in the enriched log format followed
 * by 0x1d and the interpreted values under upper-case keys (`AUID="alice" SYSCALL=openat`).
 * Microsoft's AUOMS writes the same shape without `msg=`. Quoted values are unquoted, hex values
 * decoded, and a user-space record's `msg='op=… res=success'` is read into its own keys too.
 */

export interface AuditRecord {
  node?: string;
  type: string;
  /** `audit(SECONDS.MILLIS:SERIAL)` parts. */
  timeText: string;
  time: number;
  serial: string;
  fields: Record<string, unknown>;
}

const HEADER = /^(?:node=(\S+) )?type=(\S+) (?:msg=)?audit\((\d+(?:\.\d+)?):(\d+)\):\s*/;
const KEY = /^[A-Za-z_][\w-]*(?:\[\d+\])?$/;
const GROUP_SEPARATOR = '\u001d';

interface Token {
  key: string;
  value: string;
  quoted: boolean;
}

/** Parses one audit line; throws a RecordError when it is not an audit record. */
export function parseAuditLine(line: string): AuditRecord {
  const header = HEADER.exec(line);
  if (!header) {
    throw Object.assign(
      new RecordError('invalid_audit_record', 'line is not an audit record (type=… msg=audit(…))'),
      { snippet: line.slice(0, 120) },
    );
  }
  const [, node, type, seconds, serial] = header as unknown as string[];
  const body = line.slice(header[0].length);
  const separator = body.indexOf(GROUP_SEPARATOR);
  const raw = separator < 0 ? body : body.slice(0, separator);

  const fields: Record<string, unknown> = {};
  readTokens(tokenize(raw), type as string, fields);
  if (separator >= 0) {
    // Interpretations never replace a raw value of the same (upper-case) name.
    for (const token of tokenize(body.slice(separator + 1))) {
      if (!(token.key in fields)) fields[token.key] = token.value;
    }
  }
  joinSplitArguments(fields);

  const record: AuditRecord = {
    type: type as string,
    timeText: seconds as string,
    time: Math.round(Number(seconds) * 1000),
    serial: serial as string,
    fields,
  };
  if (node !== undefined) record.node = node;
  return record;
}

function readTokens(tokens: Token[], type: string, fields: Record<string, unknown>): void {
  for (const token of tokens) {
    if (token.key === 'msg' && token.quoted) {
      // A user-space record's message: its own key=value pairs, read as fields as well.
      fields.msg = token.value;
      const inner: Record<string, unknown> = {};
      readTokens(tokenize(token.value), type, inner);
      for (const [key, value] of Object.entries(inner)) if (!(key in fields)) fields[key] = value;
      continue;
    }
    fields[token.key] = decodeValue(token, type);
  }
}

function decodeValue(token: Token, type: string): unknown {
  const { key, value, quoted } = token;
  if (value.startsWith('[') && !quoted) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  if (quoted || !isEncodedField(key, type)) return value;
  const decoded = decodeHex(value);
  if (decoded === undefined) return value;
  if (key === 'proctitle') return proctitleText(decoded);
  if (key === 'key' && decoded.includes('\u0001')) return decoded.split('\u0001');
  return decoded;
}

/** `a2_len=20000 a2[0]=… a2[1]=…`: an EXECVE argument too long for one field, put together. */
function joinSplitArguments(fields: Record<string, unknown>): void {
  const parts = new Map<string, string[]>();
  for (const key of Object.keys(fields)) {
    const match = /^(a\d+)\[(\d+)\]$/.exec(key);
    if (!match) continue;
    const list = parts.get(match[1] as string) ?? [];
    list[Number(match[2])] = String(fields[key]);
    parts.set(match[1] as string, list);
    delete fields[key];
  }
  for (const [name, list] of parts) {
    const joined = list.join('');
    fields[name] = decodeHex(joined) ?? joined;
  }
}

/** Adds the fields a SOCKADDR record's `saddr` encodes, unless the log interpreted them. */
export function addSockaddrFields(fields: Record<string, unknown>): void {
  if (typeof fields.saddr !== 'string' || fields.laddr !== undefined) return;
  const decoded = decodeSockaddr(fields.saddr);
  if (!decoded) return;
  for (const [key, value] of Object.entries(decoded)) if (!(key in fields)) fields[key] = value;
}

/**
 * Splits `key=value` text. Values are `"double quoted"`, `'single quoted'`, `[a JSON list]`,
 * `{ braced }` or run to the next space. A word that is no `key=value` belongs to the value
 * before it, because AUOMS writes some values unquoted with spaces in them.
 */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  const length = text.length;

  while (index < length) {
    while (index < length && text[index] === ' ') index++;
    if (index >= length) break;
    const start = index;
    while (index < length && text[index] !== '=' && text[index] !== ' ') index++;
    const key = text.slice(start, index);

    if (text[index] !== '=' || !KEY.test(key)) {
      // Not a key: the word (and what follows it up to the next space) continues the last value.
      while (index < length && text[index] !== ' ') index++;
      const word = text.slice(start, index);
      const last = tokens[tokens.length - 1];
      if (last && !last.quoted) last.value += ` ${word}`;
      continue;
    }

    index++;
    const open = text[index];
    if (open === '"' || open === "'") {
      const close = text.indexOf(open, index + 1);
      const end = close < 0 ? length : close;
      tokens.push({ key, value: text.slice(index + 1, end), quoted: true });
      index = end + 1;
      continue;
    }
    if (open === '[' || open === '{') {
      const end = closingBracket(text, index);
      tokens.push({ key, value: text.slice(index, end + 1), quoted: false });
      index = end + 1;
      continue;
    }
    const valueStart = index;
    while (index < length && text[index] !== ' ') index++;
    tokens.push({ key, value: text.slice(valueStart, index), quoted: false });
  }
  return tokens;
}

function closingBracket(text: string, open: number): number {
  const opener = text[open];
  const closer = opener === '[' ? ']' : '}';
  let depth = 0;
  let inQuotes = false;
  for (let index = open; index < text.length; index++) {
    const char = text[index];
    if (char === '"') inQuotes = !inQuotes;
    else if (!inQuotes && char === opener) depth++;
    else if (!inQuotes && char === closer) {
      depth--;
      if (depth === 0) return index;
    }
  }
  return text.length - 1;
}
