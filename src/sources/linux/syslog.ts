import type { Event } from '../../model/event.js';
import type {
  DetectSample,
  FramedRecord,
  ParseContext,
  ParseOutput,
  RecordParser,
  SourceFormat,
} from '../format.js';
import { rejectionFrom } from '../format.js';
import { isSshdProgram } from '../openssh.js';
import { syslogEvent, syslogFields } from './syslog-event.js';
import { parseSyslogLine } from './syslog-line.js';
import { SyslogClock } from './syslog-time.js';

/**
 * Linux syslog files as rsyslog and syslog-ng write them (/var/log/auth.log, /var/log/secure,
 * /var/log/syslog, /var/log/messages): one record per line, numbered by line. Blank lines are
 * skipped; a line without a syslog header is rejected with its line number.
 */

export const LINUX_SYSLOG_FORMAT = 'linux-syslog';

/** sshd connections remembered per input, to give logins the address they arrived on. */
const MAX_CONNECTIONS = 4096;

/**
 * Remembers the local address of each sshd connection (`Connection from … on 10.20.1.16 port
 * 22`, logged at LogLevel VERBOSE) and adds it to the later messages of the same sshd process as
 * `local_ip` and `local_port`. That is the address of this host as the client reached it, and an
 * SSH login elsewhere from this host shows it as its source.
 */
export class SshdConnections {
  private readonly byProcess = new Map<string, { ip: string; port: string }>();

  annotate(fields: Record<string, unknown>): void {
    if (!isSshdProgram(String(fields.program)) || fields.pid === undefined) return;
    const key = `${fields.hostname ?? ''}/${fields.pid}`;
    if (fields.action === 'ssh_connection') {
      if (this.byProcess.size >= MAX_CONNECTIONS) {
        const oldest = this.byProcess.keys().next().value;
        if (oldest !== undefined) this.byProcess.delete(oldest);
      }
      this.byProcess.set(key, { ip: String(fields.local_ip), port: String(fields.local_port) });
      return;
    }
    const connection = this.byProcess.get(key);
    if (!connection || fields.local_ip !== undefined) return;
    fields.local_ip = connection.ip;
    fields.local_port = connection.port;
  }
}

class SyslogParser implements RecordParser {
  private readonly clock: SyslogClock;
  private readonly connections = new SshdConnections();

  constructor(private readonly context: ParseContext) {
    this.clock = new SyslogClock(context.settings.syslog, context.mtimeMs ?? Date.now());
  }

  push(record: FramedRecord, out: ParseOutput): void {
    const line = record.value as string;
    if (line.trim() === '') return;
    try {
      out.events.push(this.convert(line, record));
    } catch (error) {
      const rejection = rejectionFrom(error, record.origin);
      rejection.snippet ??= line.slice(0, 120);
      out.rejections.push(rejection);
    }
  }

  end(): void {}

  private convert(line: string, record: FramedRecord): Event {
    const header = parseSyslogLine(line, this.clock);
    const fields = syslogFields(header);
    this.connections.annotate(fields);
    return syslogEvent(LINUX_SYSLOG_FORMAT, header, fields, record.origin, this.context);
  }
}

const SAMPLE_LINES = 8;

export const linuxSyslogFormat: SourceFormat = {
  name: LINUX_SYSLOG_FORMAT,
  description:
    'Linux syslog files (auth.log, secure, syslog, messages): traditional, RFC 3339 and RFC 5424 lines',
  framing: 'lines',
  detect(sample: DetectSample): number {
    if (sample.text === undefined) return 0;
    const lines = sample.text
      .split('\n')
      .slice(0, SAMPLE_LINES + 1)
      .filter((line) => line.trim() !== '');
    // The last line of the head may be cut in the middle.
    if (lines.length > 1 && !sample.text.endsWith('\n')) lines.pop();
    if (lines.length === 0) return 0;
    const clock = new SyslogClock({}, 0);
    let parsed = 0;
    for (const line of lines.slice(0, SAMPLE_LINES)) {
      if (line.startsWith('type=') || line.startsWith('node=')) return 0;
      try {
        parseSyslogLine(line, clock);
        parsed++;
      } catch {
        // A line that is not syslog lowers the score.
      }
    }
    return parsed / Math.min(lines.length, SAMPLE_LINES) >= 0.5 ? 0.8 : 0;
  },
  createParser: (context) => new SyslogParser(context),
};
