import { RecordError } from '../../model/errors.js';
import type { Event } from '../../model/event.js';
import { parseEpoch } from '../../model/time.js';
import type {
  DetectSample,
  FramedRecord,
  ParseContext,
  ParseOutput,
  RecordParser,
  SourceFormat,
} from '../format.js';
import { rejectionFrom } from '../format.js';
import { SshdConnections } from './syslog.js';
import { parseMessage, syslogEvent } from './syslog-event.js';
import type { SyslogHeader } from './syslog-line.js';

/**
 * systemd journal exports as `journalctl -o json` writes them: one object per line with the
 * journal's own fields (`MESSAGE`, `_HOSTNAME`, `SYSLOG_IDENTIFIER`, `_PID`,
 * `__REALTIME_TIMESTAMP` in microseconds …), kept as they are. The syslog names `hostname`,
 * `program`, `pid`, `message`, `facility` and `severity` are added beside them, and the message is
 * read by the same parsers as syslog files (sshd, sudo, su, PAM, logind, account tools).
 */

export const JOURNALD_FORMAT = 'journald-json';

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
];
const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads a message as text; the journal writes one that is not valid UTF-8 as an array of bytes. */
function messageText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'number')) {
    return Buffer.from(value as number[]).toString('utf8');
  }
  return undefined;
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

class JournaldParser implements RecordParser {
  private readonly connections = new SshdConnections();

  constructor(private readonly context: ParseContext) {}

  push(record: FramedRecord, out: ParseOutput): void {
    try {
      out.events.push(this.convert(record));
    } catch (error) {
      out.rejections.push(rejectionFrom(error, record.origin));
    }
  }

  end(): void {}

  private convert(record: FramedRecord): Event {
    const entry = record.value;
    if (!isObject(entry)) throw new RecordError('unexpected_shape', 'record is not a JSON object');
    // __REALTIME_TIMESTAMP is in microseconds; syslogEvent handles one that is missing.
    const stamp = stringOf(entry.__REALTIME_TIMESTAMP) ?? '';
    const time = stamp === '' ? Number.NaN : parseEpoch(Number(stamp));

    const message = messageText(entry.MESSAGE) ?? '';
    const header: SyslogHeader = { time, timeText: stamp, message };
    const hostname = stringOf(entry._HOSTNAME);
    const program = stringOf(entry.SYSLOG_IDENTIFIER) ?? stringOf(entry._COMM);
    const pid = stringOf(entry.SYSLOG_PID) ?? stringOf(entry._PID);
    if (hostname !== undefined) header.hostname = hostname;
    if (program !== undefined) header.program = program;
    if (pid !== undefined) header.pid = pid;
    const facility = FACILITIES[Number(entry.SYSLOG_FACILITY)];
    const severity = SEVERITIES[Number(entry.PRIORITY)];
    if (entry.SYSLOG_FACILITY !== undefined && facility) header.facility = facility;
    if (entry.PRIORITY !== undefined && severity) header.severity = severity;

    const fields: Record<string, unknown> = { ...entry, message };
    if (hostname !== undefined) fields.hostname = hostname;
    if (program !== undefined) fields.program = program;
    if (pid !== undefined) fields.pid = pid;
    if (header.facility) fields.facility = header.facility;
    if (header.severity) fields.severity = header.severity;
    Object.assign(fields, parseMessage(program, message));
    this.connections.annotate(fields);
    return syslogEvent(JOURNALD_FORMAT, header, fields, record.origin, this.context);
  }
}

export const journaldFormat: SourceFormat = {
  name: JOURNALD_FORMAT,
  description:
    'systemd journal exports (journalctl -o json): MESSAGE, _HOSTNAME, SYSLOG_IDENTIFIER …',
  framing: 'json',
  detect(sample: DetectSample): number {
    const value = sample.firstJson;
    if (!isObject(value) || value.__REALTIME_TIMESTAMP === undefined) return 0;
    return value.MESSAGE !== undefined || value.__CURSOR !== undefined ? 1 : 0.6;
  },
  createParser: (context: ParseContext) => new JournaldParser(context),
};
