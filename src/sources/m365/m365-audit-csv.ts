import type { Origin } from '../../model/event.js';
import { invalidHeaderError, readCsvHeader, warnDamagedHeader } from '../csv-header.js';
import { type CsvLine, type CsvRow, CsvRowReader } from '../csv-rows.js';
import type {
  FramedRecord,
  ParseContext,
  ParseOutput,
  RecordParser,
  Rejection,
  SourceFormat,
} from '../format.js';
import { rejectionFrom } from '../format.js';
import { isObject, type JsonObject, truncate } from '../json-shape.js';
import { RecordTimes } from '../record-time.js';
import { m365RowShape } from './audit-csv-shape.js';
import { ualEvent } from './ual-event.js';

/**
 * Microsoft 365 unified audit log searches exported as CSV: the Purview compliance portal's
 * export (`RecordId, CreationDate, RecordType, Operation, UserId, AuditData, …`) and
 * `Search-UnifiedAuditLog | Export-Csv` (`RunspaceId, RecordType, CreationDate, UserIds,
 * Operations, AuditData, …`, after an optional `#TYPE` line). `AuditData` contains the record in
 * the Management Activity API schema as JSON; the other columns are kept beside its fields.
 *
 * A quoted value may span lines (a pretty-printed AuditData). A stray quote at the start of a
 * cell costs its own row only, because a line that starts a row ends a value still open there
 * (see `CsvRowReader` and `m365RowShape`). A row with a quote that RFC 4180 does not allow, inside
 * an unquoted cell or with text after a closing quote, is rejected. Records are numbered by
 * data row (the header is not counted), with the row's first line as its line.
 */

const AUDIT_DATA = 'auditdata';

/** Columns that every export has beside AuditData, in lower case. */
const BESIDE_AUDIT_DATA = ['creationdate', 'operation', 'operations', 'recordtype'];

const FORMAT_TITLE = 'Microsoft 365 audit log CSV export';

/** Code of the rejections for rows whose quoting is damaged. */
const INVALID_CSV = 'invalid_csv';

/** Tests whether the line may be a CSV header of an audit log export, for format detection. */
function isHeader(line: string): boolean {
  const lower = line.toLowerCase();
  return (
    lower.includes(AUDIT_DATA) &&
    (lower.includes('creationdate') || lower.includes('operation') || lower.includes('recordtype'))
  );
}

/** Tests whether header names contain AuditData and one of the columns beside it. */
function namesAuditColumns(names: readonly string[]): boolean {
  const columns = new Set(names.map((name) => name.trim().toLowerCase()));
  return columns.has(AUDIT_DATA) && BESIDE_AUDIT_DATA.some((name) => columns.has(name));
}

class AuditCsvParser implements RecordParser {
  private header: string[] | undefined;
  private row = 0;
  private readonly times: RecordTimes;
  private readonly reader: CsvRowReader;

  constructor(private readonly context: ParseContext) {
    this.times = new RecordTimes(context);
    this.reader = new CsvRowReader({
      context,
      code: INVALID_CSV,
      // Only the length limit bounds a row: a pretty-printed AuditData may take many lines.
      maxRowLines: Number.POSITIVE_INFINITY,
      maxRowLength: context.settings.limits.maxRecordLength,
      strictQuotes: true,
      onRow: (row, out) => this.emitRow(row, out),
      onReject: (rejection, out) => this.reject(rejection, out),
    });
  }

  push(record: FramedRecord, out: ParseOutput): void {
    const line = String(record.value);
    if (this.header === undefined) {
      this.readHeader(line, record.origin.line ?? 0);
      return;
    }
    this.reader.push(line, record.origin, out);
  }

  end(out: ParseOutput): void {
    this.reader.end(out);
  }

  /**
   * Reads the header from the first line that is neither blank nor `#TYPE`. Without it no row
   * can be read, so the input fails once instead of per row. A header with damaged quotes is
   * read without them when it then names the columns of an export.
   */
  private readHeader(line: string, lineNumber: number): void {
    if (line.trim() === '' || line.trimStart().startsWith('#TYPE')) return;

    const text = line.replace(/^\uFEFF/, '');
    const header = readCsvHeader(text);
    if (!namesAuditColumns(header.names)) {
      const reason = `names no AuditData column beside a CreationDate, Operation or RecordType`;
      throw invalidHeaderError(this.context, lineNumber, text, FORMAT_TITLE, header, reason);
    }
    if (header.damage !== undefined) warnDamagedHeader(this.context, lineNumber, text, header);
    this.header = header.names;
    this.reader.setHeader(header.names, m365RowShape(header.names));
  }

  private emitRow({ cells, lines }: CsvRow, out: ParseOutput): void {
    const first = lines[0] as CsvLine;
    const origin: Origin = { file: this.context.file, record: ++this.row, line: first.origin.line };
    try {
      out.events.push(this.convert(cells, origin));
    } catch (error) {
      const rejection = rejectionFrom(error, origin);
      rejection.snippet = truncate(lines.map((line) => line.text).join('\n'), 120);
      out.rejections.push(rejection);
    }
  }

  private reject(rejection: Rejection, out: ParseOutput): void {
    rejection.origin = { ...rejection.origin, record: ++this.row };
    out.rejections.push(rejection);
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
