import { RecordError } from '../../model/errors.js';
import { monthIndex, type SyslogClock } from './syslog-time.js';

/**
 * The header of one syslog line as files such as /var/log/auth.log and /var/log/secure hold
 * them, in the three layouts rsyslog and syslog-ng write:
 *
 * - traditional (RFC 3164): `Mar 22 09:02:11 web01 sshd[4211]: message`;
 * - RFC 3339 stamps, rsyslog's default on current Debian and Ubuntu:
 *   `2024-03-20T01:21:08.612762+00:00 web01 sshd[4211]: message`;
 * - RFC 5424: `<38>1 2024-03-20T01:21:08.612Z web01 sshd 4211 - - message`.
 *
 * Each may start with a `<PRI>` value, as network captures write it.
 */

export interface SyslogHeader {
  time: number;
  /** The stamp as the line writes it. */
  timeText: string;
  hostname?: string;
  /** The tag's program name (RFC 5424 APP-NAME). */
  program?: string;
  /** The tag's process id (RFC 5424 PROCID). */
  pid?: string;
  message: string;
  facility?: string;
  severity?: string;
  msgid?: string;
  /** RFC 5424 structured data, as written. */
  structuredData?: string;
}

const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];
const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

const PRI = /^<(\d{1,3})>/;
const TRADITIONAL = /^([A-Za-z]{3} +\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?) +(\S+) ?([\s\S]*)$/;
const TRADITIONAL_STAMP = /^([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const RFC3339 =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:[zZ]|[+-]\d{2}:?\d{2})?) +(\S+) ?([\s\S]*)$/;
const RFC5424 = /^(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) ([\s\S]*)$/;
const TAG = /^([^\s[\]:]+)(?:\[([^\]\s]*)\])?:(?: ([\s\S]*)|$)/;

/** Parses a line's header; throws a RecordError when the line starts with no known stamp. */
export function parseSyslogLine(line: string, clock: SyslogClock): SyslogHeader {
  let text = line;
  let pri: number | undefined;
  const priMatch = PRI.exec(text);
  if (priMatch) {
    pri = Number(priMatch[1]);
    text = text.slice(priMatch[0].length);
  }

  const header =
    (pri !== undefined ? parse5424(text, clock) : undefined) ??
    parseRfc3339(text, clock) ??
    parseTraditional(text, clock);
  if (!header) {
    throw Object.assign(
      new RecordError('invalid_syslog', 'line does not start with a syslog timestamp'),
      { snippet: line.slice(0, 120) },
    );
  }
  if (pri !== undefined && pri < FACILITIES.length * 8) {
    header.facility = FACILITIES[Math.floor(pri / 8)];
    header.severity = SEVERITIES[pri % 8];
  }
  return header;
}

function parseTraditional(text: string, clock: SyslogClock): SyslogHeader | undefined {
  const match = TRADITIONAL.exec(text);
  if (!match) return undefined;
  const [, timeText, hostname, rest] = match as unknown as [string, string, string, string];
  const [, monthName, day, hour, minute, second, fraction] = TRADITIONAL_STAMP.exec(
    timeText,
  ) as RegExpExecArray;
  const month = monthIndex(monthName as string);
  if (month < 0) return undefined;
  const time = clock.traditional({
    month,
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millis: fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0,
  });
  return { time, timeText, hostname, ...splitTag(rest) };
}

function parseRfc3339(text: string, clock: SyslogClock): SyslogHeader | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, stamp, hostname, rest] = match;
  return {
    time: clock.iso(stamp as string),
    timeText: stamp as string,
    hostname: hostname as string,
    ...splitTag(rest as string),
  };
}

function parse5424(text: string, clock: SyslogClock): SyslogHeader | undefined {
  const match = RFC5424.exec(text);
  if (!match) return undefined;
  const [, , stamp, hostname, app, procid, msgid, rest] = match;
  const structured = readStructuredData(rest as string);
  if (!structured) return undefined;

  const header: SyslogHeader = {
    time: clock.iso(stamp as string),
    timeText: stamp as string,
    message: structured.message.replace(/^\uFEFF/, ''),
  };
  if (hostname !== '-') header.hostname = hostname as string;
  if (app !== '-') header.program = app as string;
  if (procid !== '-') header.pid = procid as string;
  if (msgid !== '-') header.msgid = msgid as string;
  if (structured.data !== undefined) header.structuredData = structured.data;
  return header;
}

/** Splits RFC 5424 STRUCTURED-DATA (`-` or `[id k="v"]…`, escapes honoured) from the message. */
function readStructuredData(text: string): { data?: string; message: string } | undefined {
  if (text.startsWith('-')) return { message: text.slice(2) };
  if (!text.startsWith('[')) return undefined;
  let index = 0;
  while (text[index] === '[') {
    let inQuotes = false;
    index++;
    while (index < text.length) {
      const char = text[index];
      if (char === '\\') index++;
      else if (char === '"') inQuotes = !inQuotes;
      else if (char === ']' && !inQuotes) break;
      index++;
    }
    if (index >= text.length) return undefined;
    index++;
  }
  return { data: text.slice(0, index), message: text.slice(index + 1) };
}

/** Splits the tag (`sshd[4211]:`, `sudo:`) from the message. A line without one keeps it whole. */
function splitTag(rest: string): { program?: string; pid?: string; message: string } {
  const match = TAG.exec(rest);
  if (!match) return { message: rest };
  const result: { program?: string; pid?: string; message: string } = {
    program: match[1] as string,
    message: match[3] ?? '',
  };
  if (match[2]) result.pid = match[2];
  return result;
}
