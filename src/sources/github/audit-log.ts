import { RecordError } from '../../model/errors.js';
import type { FramedRecord, ParseContext, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { isObject } from '../json-shape.js';
import { githubEvent } from './audit-fields.js';

/**
 * GitHub organization and enterprise audit log entries as JSON: the REST API's array (newest
 * first), the web UI's JSON export, audit log streaming, and one entry per line. Times are
 * `@timestamp` or `created_at` in epoch milliseconds, or text in some exports.
 */

function convert(record: FramedRecord, context: ParseContext) {
  const value = record.value;
  if (!isObject(value) || typeof value.action !== 'string') {
    throw new RecordError('unexpected_shape', 'record has no action');
  }
  return githubEvent('github-audit', { ...value }, record.origin, context);
}

/** Keys that only GitHub audit entries carry beside `action`. */
const GITHUB_KEYS = [
  'actor',
  'org',
  'repo',
  'programmatic_access_type',
  '_document_id',
  'business',
  'operation_type',
];

export const githubAuditFormat: SourceFormat = {
  name: 'github-audit',
  description:
    'GitHub organization/enterprise audit log entries as JSON (REST API, export, stream)',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!isObject(value) || typeof value.action !== 'string') return 0;
    if (value.p_log_type === 'GitHub.Audit') return 1;
    const actionLike = /^[a-z_]+(\.[a-z_]+)+$/.test(value.action);
    const keys = GITHUB_KEYS.filter((key) => key in value).length;
    if (actionLike && keys >= 2) return 0.9;
    return actionLike && keys === 1 ? 0.6 : 0;
  },
  createParser: (context) => statelessParser(convert, context),
};
