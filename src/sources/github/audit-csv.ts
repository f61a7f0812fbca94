import { RecordError } from '../../model/errors.js';
import type { ParseContext, RecordParser, SourceFormat } from '../format.js';
import { headerCsvParser, sampleHeaderNames } from '../header-csv.js';
import type { JsonObject } from '../json-shape.js';
import { githubRowShape } from './audit-csv-shape.js';
import { githubEvent } from './audit-fields.js';

export { splitCsvRow } from '../../input/csv-row.js';

/**
 * The CSV export of the GitHub audit log web UI: a header row of keys (`action`, `actor`,
 * `created_at`, `actor_location.country_code`, `data.hook_id` …), then one entry per row. A
 * quoted value may hold commas, doubled quotes and line breaks, so a row can span lines; its
 * record is the line it starts on. Empty cells are left out, and a cell that contains a JSON array
 * or object (`data.events`) is parsed. Dotted keys stay flat, as rules read them by that name.
 * A quote inside a cell is read as text. A stray quote at a cell start costs its own row only
 * (see `CsvRowReader`).
 * NOTE: GitHub's documentation does not describe the export's quoting. RFC 4180 quoting is
 * assumed, as the test fixture writes it.
 */

function cellValue(cell: string): unknown {
  const trimmed = cell.trim();
  if ((trimmed.startsWith('[') && trimmed.endsWith(']')) || trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return cell;
    }
  }
  return cell;
}

/** Rows longer than this many lines are rejected as an unclosed quote. */
const MAX_ROW_LINES = 1000;

/** Tests whether header names are the keys of an audit log export, as `detect` requires. */
function namesAuditKeys(names: readonly string[]): boolean {
  const keys = new Set(names);
  const hasTime = keys.has('created_at') || keys.has('@timestamp');
  return keys.has('action') && keys.has('actor') && hasTime;
}

const FORMAT_TITLE = 'GitHub audit log CSV export';

function createParser(context: ParseContext): RecordParser {
  return headerCsvParser(context, {
    title: FORMAT_TITLE,
    namesColumns: namesAuditKeys,
    missingColumns: 'names no action, actor and created_at or @timestamp key',
    rowShape: githubRowShape,
    maxRowLines: MAX_ROW_LINES,
    toEvent(row, origin, snippet) {
      const fields: JsonObject = {};
      for (const [name, cell] of Object.entries(row)) {
        if (cell !== '') fields[name] = cellValue(cell);
      }
      if (typeof fields.action !== 'string') {
        throw new RecordError('unexpected_shape', 'row has no action', undefined, snippet);
      }
      return githubEvent('github-audit-csv', fields, origin, context);
    },
  });
}

export const githubAuditCsvFormat: SourceFormat = {
  name: 'github-audit-csv',
  description: 'GitHub audit log CSV export of the web UI (header row of keys, one entry per row)',
  framing: 'lines',
  detect(sample) {
    const names = sampleHeaderNames(sample.text);
    return names !== undefined && namesAuditKeys(names) ? 0.9 : 0;
  },
  createParser,
};
