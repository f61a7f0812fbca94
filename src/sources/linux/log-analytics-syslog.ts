import { RecordError } from '../../model/errors.js';
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
import { recordTime } from '../record-time.js';
import { auditEvent } from './audit-event.js';
import { parseAuditLine } from './audit-record.js';
import { parseMessage, syslogEvent } from './syslog-event.js';
import type { SyslogHeader } from './syslog-line.js';

/**
 * Rows of the Azure Monitor Log Analytics `Syslog` table, exported as JSON lines: the table's
 * columns (`TimeGenerated`, `Computer`, `HostName`, `Facility`, `SeverityLevel`, `ProcessName`,
 * `ProcessID`, `SyslogMessage` …) stay as they are. A message of Microsoft's audit agent AUOMS
 * (`type=AUOMS_EXECVE audit(…): …`) becomes an audit event with the fields of `linux-auditd`.
 * Any other message is read like a syslog line (sshd, sudo, su, PAM …).
 */

export const LOG_ANALYTICS_SYSLOG_FORMAT = 'log-analytics-syslog';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function convert(record: FramedRecord, context: ParseContext): Event {
  const row = record.value;
  if (!isObject(row) || typeof row.SyslogMessage !== 'string') {
    throw new RecordError('unexpected_shape', 'record has no SyslogMessage column');
  }
  const message = row.SyslogMessage;

  if (message.startsWith('type=') || message.startsWith('node=')) {
    const records = [parseAuditLine(message)];
    const audit = auditEvent(LOG_ANALYTICS_SYSLOG_FORMAT, records, record.origin, context);
    audit.fields = { ...row, ...audit.fields };
    if (audit.core.host === undefined) {
      const host = stringOf(row.HostName) ?? stringOf(row.Computer);
      if (host !== undefined) audit.core.host = host;
    }
    return audit;
  }

  const { time, timeText } = recordTime([row.EventTime, row.TimeGenerated], context, record.origin);
  const header: SyslogHeader = { time, timeText, message };
  const hostname = stringOf(row.HostName) ?? stringOf(row.Computer);
  const program = stringOf(row.ProcessName);
  const pid = stringOf(row.ProcessID);
  const fields: Record<string, unknown> = { ...row, message };
  if (hostname !== undefined) fields.hostname = hostname;
  if (program !== undefined) fields.program = program;
  if (pid !== undefined) fields.pid = pid;
  if (typeof row.Facility === 'string') fields.facility = row.Facility;
  if (typeof row.SeverityLevel === 'string') fields.severity = row.SeverityLevel;
  Object.assign(fields, parseMessage(program, message));
  return syslogEvent(LOG_ANALYTICS_SYSLOG_FORMAT, header, fields, record.origin, context);
}

class LogAnalyticsSyslogParser implements RecordParser {
  constructor(private readonly context: ParseContext) {}

  push(record: FramedRecord, out: ParseOutput): void {
    try {
      out.events.push(convert(record, this.context));
    } catch (error) {
      out.rejections.push(rejectionFrom(error, record.origin));
    }
  }

  end(): void {}
}

export const logAnalyticsSyslogFormat: SourceFormat = {
  name: LOG_ANALYTICS_SYSLOG_FORMAT,
  description:
    'Azure Monitor Log Analytics Syslog table rows (SyslogMessage, Computer …), AUOMS audit records included',
  framing: 'json',
  detect(sample: DetectSample): number {
    const value = sample.firstJson;
    if (!isObject(value) || typeof value.SyslogMessage !== 'string') return 0;
    return value.Computer !== undefined || value.HostName !== undefined ? 0.9 : 0.6;
  },
  createParser: (context) => new LogAnalyticsSyslogParser(context),
};
