import type { Origin } from '../../model/event.js';
import type {
  DetectSample,
  FramedRecord,
  ParseContext,
  ParseOutput,
  RecordParser,
  SourceFormat,
} from '../format.js';
import { rejectionFrom } from '../format.js';
import { auditEvent } from './audit-event.js';
import { type AuditRecord, parseAuditLine } from './audit-record.js';

/**
 * Linux audit logs (/var/log/audit/audit.log), raw or in auditd's enriched format. The records
 * of one event share an `audit(TIME:SERIAL)` id and arrive on consecutive or nearby lines (the
 * kernel can interleave the records of events from several CPUs). An event is complete at its
 * EOE record, when a line more than `JOIN_DISTANCE_LINES` further on belongs to another event,
 * or at the end of the input. Its record number is the line of its first record.
 */

export const LINUX_AUDITD_FORMAT = 'linux-auditd';

/** Lines after an event's last record within which more of its records are still expected. */
export const JOIN_DISTANCE_LINES = 32;

/** Events held open at once; the oldest is completed past this many. */
const MAX_OPEN_EVENTS = 256;

interface OpenEvent {
  records: AuditRecord[];
  origin: Origin;
  lastLine: number;
}

export class AuditJoiner implements RecordParser {
  private readonly open = new Map<string, OpenEvent>();

  constructor(
    private readonly format: string,
    private readonly context: ParseContext,
  ) {}

  push(record: FramedRecord, out: ParseOutput): void {
    const line = record.value as string;
    if (line.trim() === '') return;
    let parsed: AuditRecord;
    try {
      parsed = parseAuditLine(line);
    } catch (error) {
      out.rejections.push(rejectionFrom(error, record.origin));
      return;
    }

    const lineNumber = record.origin.line;
    const key = `${parsed.node ?? ''}/${parsed.timeText}:${parsed.serial}`;
    let event = this.open.get(key);
    if (event) {
      event.records.push(parsed);
      event.lastLine = lineNumber;
    } else {
      event = { records: [parsed], origin: record.origin, lastLine: lineNumber };
      this.open.set(key, event);
    }
    if (parsed.type === 'EOE') this.complete(key, out);
    this.completeDistant(lineNumber, out);
  }

  end(out: ParseOutput): void {
    for (const key of [...this.open.keys()]) this.complete(key, out);
  }

  private completeDistant(lineNumber: number, out: ParseOutput): void {
    for (const [key, event] of this.open) {
      if (lineNumber - event.lastLine > JOIN_DISTANCE_LINES || this.open.size > MAX_OPEN_EVENTS) {
        this.complete(key, out);
      }
    }
  }

  private complete(key: string, out: ParseOutput): void {
    const event = this.open.get(key);
    if (!event) return;
    this.open.delete(key);
    const records = event.records.filter((record) => record.type !== 'EOE');
    try {
      if (records.length > 0)
        out.events.push(auditEvent(this.format, records, event.origin, this.context));
      out.records = (out.records ?? 0) + event.records.length;
    } catch (error) {
      out.rejections.push(rejectionFrom(error, event.origin));
    }
  }
}

const AUDIT_LINE = /^(?:node=\S+ )?type=\S+ (?:msg=)?audit\(\d+(?:\.\d+)?:\d+\):/;

export const linuxAuditdFormat: SourceFormat = {
  name: LINUX_AUDITD_FORMAT,
  description: 'Linux audit logs (audit.log), raw and enriched; records joined into events',
  framing: 'lines',
  detect(sample: DetectSample): number {
    const lines = (sample.text ?? '').split('\n', 6).filter((line) => line.trim() !== '');
    if (lines.length === 0) return 0;
    const audit = lines.filter((line) => AUDIT_LINE.test(line)).length;
    return audit / lines.length >= 0.5 ? 1 : 0;
  },
  createParser: (context) => new AuditJoiner(LINUX_AUDITD_FORMAT, context),
};
