import { CsvError, parse } from 'csv-parse/sync';
import { InputError } from '../../model/errors.js';
import type { Origin } from '../../model/event.js';
import type {
  FramedRecord,
  ParseContext,
  ParseOutput,
  RecordParser,
  SourceFormat,
} from '../format.js';
import { rejectionFrom } from '../format.js';
import { isObject, type JsonObject, truncate } from '../json-shape.js';
import { RecordTimes } from '../record-time.js';
import { ualEvent } from './ual-event.js';

/**
 * Microsoft 365 unified audit log searches exported as CSV: the Purview compliance portal's
 * export (`RecordId, CreationDate, RecordType, Operation, UserId, AuditData, …`) and
 * `Search-UnifiedAuditLog | Export-Csv` (`RunspaceId, RecordType, CreationDate, UserIds,
 * Operations, AuditData, …`, after an optional `#TYPE` line). `AuditData` contains the record in
 * the Management Activity API schema as JSON; the other columns are kept beside its fields.
 *
 * Lines are joined until their double quotes balance, because a quoted field may span lines,
 * and each complete row is split by csv-parse. Records are numbered by data row (the header is
 * not counted), with the row's first line as its line.
 */

const AUDIT_DATA = 'auditdata';

/** True when the line is a CSV header of an audit log export. */
function isHeader(line: string): boolean {
  const lower = line.toLowerCase();
  return (
    lower.includes(AUDIT_DATA) &&
    (lower.includes('creationdate') || lower.includes('operation') || lower.includes('recordtype'))
  );
}

function quotes(text: string): number {
  let count = 0;
  for (let index = text.indexOf('"'); index >= 0; index = text.indexOf('"', index + 1)) count++;
  return count;
}

function splitRow(text: string): string[] {
  const rows = parse(text, { relax_column_count: true, bom: true }) as string[][];
  return rows[0] ?? [];
}

class AuditCsvParser implements RecordParser {
  private header: string[] | undefined;
  /** True while a row is read whose quotes have not balanced yet. */
  private open = false;
  private pending = '';
  private pendingQuotes = 0;
  private pendingLine = 0;
  /** Set when the open row passed the record length limit; its text is no longer kept. */
  private oversize = false;
  private row = 0;
  private readonly times: RecordTimes;

  constructor(private readonly context: ParseContext) {
    this.times = new RecordTimes(context);
  }

  push(record: FramedRecord, out: ParseOutput): void {
    const line = String(record.value);
    if (!this.open) {
      if (line.trim() === '') return;
      if (this.header === undefined && line.trimStart().startsWith('#TYPE')) return;
      this.open = true;
      this.oversize = false;
      this.pending = line;
      this.pendingQuotes = 0;
      this.pendingLine = record.origin.line;
    } else if (!this.oversize) {
      this.pending += `\n${line}`;
    }
    this.pendingQuotes += quotes(line);
    if (!this.oversize && this.pending.length > this.context.settings.limits.maxRecordLength) {
      this.oversize = true;
      this.pending = this.pending.slice(0, 120);
    }
    if (this.pendingQuotes % 2 === 1) return;

    this.open = false;
    if (this.oversize) {
      this.reject(out, 'record_too_large', 'CSV row is longer than the record length limit');
      return;
    }
    this.complete(out);
  }

  end(out: ParseOutput): void {
    if (this.open) this.reject(out, 'invalid_csv', 'input ends inside a quoted CSV field');
  }

  private complete(out: ParseOutput): void {
    const text = this.pending.replace(/^\uFEFF/, '');
    const line = this.pendingLine;
    this.pending = '';

    if (this.header === undefined) {
      // Without its header no row can be read, so the input fails once instead of per row.
      let header: string[] | undefined;
      let reason = 'the first row names no AuditData column';
      try {
        header = splitRow(text);
      } catch (error) {
        reason = (error as Error).message;
      }
      if (header === undefined || !isHeader(header.join(','))) {
        throw new InputError(
          'input.invalid_header',
          `line ${line}: not a Microsoft 365 audit log CSV export: ${reason} (it starts with ${JSON.stringify(truncate(text, 60))})`,
        );
      }
      this.header = header;
      return;
    }

    this.row++;
    const origin: Origin = { file: this.context.file, record: this.row, line };
    try {
      out.events.push(this.convert(splitRow(text), origin));
    } catch (error) {
      const code = error instanceof CsvError ? 'invalid_csv' : undefined;
      const rejection = rejectionFrom(error, origin);
      if (code) rejection.code = code;
      rejection.snippet = truncate(text, 120);
      out.rejections.push(rejection);
    }
  }

  private convert(cells: string[], origin: Origin) {
    const header = this.header ?? [];
    const columns: JsonObject = {};
    let auditData: string | undefined;
    header.forEach((name, index) => {
      const cell = cells[index];
      if (cell === undefined) return;
      if (name.toLowerCase() === AUDIT_DATA) auditData = cell;
      else columns[name] = cell;
    });

    if (auditData === undefined || auditData.trim() === '') {
      throw Object.assign(new Error('row has an empty AuditData column'), {
        code: 'unexpected_shape',
      });
    }
    let data: unknown;
    try {
      data = JSON.parse(auditData);
    } catch (error) {
      throw Object.assign(new Error(`AuditData is not valid JSON: ${(error as Error).message}`), {
        code: 'invalid_json',
      });
    }
    if (!isObject(data)) {
      throw Object.assign(new Error('AuditData is not a JSON object'), {
        code: 'unexpected_shape',
      });
    }

    const record: JsonObject = { ...data };
    for (const [name, value] of Object.entries(columns)) {
      if (record[name] === undefined) record[name] = value;
    }
    // CreationDate is written in the exporter's locale and zone; AuditData keeps the UTC time.
    return ualEvent('m365-audit-csv', record, origin, this.times, ['CreationTime', 'CreationDate']);
  }

  private reject(out: ParseOutput, code: string, message: string): void {
    this.row++;
    out.rejections.push({
      code,
      message,
      origin: { file: this.context.file, record: this.row, line: this.pendingLine },
      snippet: truncate(this.pending, 120),
    });
    this.open = false;
    this.pending = '';
  }
}

export const m365AuditCsvFormat: SourceFormat = {
  name: 'm365-audit-csv',
  description:
    'Microsoft 365 unified audit log searches exported as CSV (compliance portal, Search-UnifiedAuditLog | Export-Csv)',
  framing: 'lines',
  detect(sample) {
    const lines = (sample.text ?? '').replace(/^\uFEFF/, '').split('\n', 3);
    const header = lines.find((line) => line.trim() !== '' && !line.startsWith('#TYPE'));
    return header !== undefined && isHeader(header) ? 1 : 0;
  },
  createParser: (context) => new AuditCsvParser(context),
};
