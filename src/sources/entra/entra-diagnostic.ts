import { RecordError } from '../../model/errors.js';
import type { FramedRecord, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { canonicalKeys } from '../json-fields.js';
import { isObject } from '../json-shape.js';
import { RecordTimes } from '../record-time.js';
import {
  DIAGNOSTIC_KEYS,
  entraEvent,
  isEntraCategory,
  looksLikeAudit,
  looksLikeSignIn,
} from './entra-event.js';

/**
 * Entra ID sign-in, audit and risk logs as Azure Monitor diagnostic settings write them to a
 * storage account or Event Hub: `{"records": [...]}` documents or one record per line, each
 * with `time`, `category`, `operationName` and the Graph object under `properties`.
 */

function convert(record: FramedRecord, times: RecordTimes) {
  if (!isObject(record.value)) {
    throw new RecordError('unexpected_shape', 'record is not a JSON object');
  }
  return entraEvent('entra-diagnostic', record.value, record.origin, times);
}

export const entraDiagnosticFormat: SourceFormat = {
  name: 'entra-diagnostic',
  description:
    'Microsoft Entra ID sign-in and audit logs as Azure Monitor diagnostic settings export them (records with category, operationName, properties)',
  framing: 'json',
  detect(sample) {
    if (!isObject(sample.firstJson)) return 0;
    const record = canonicalKeys(sample.firstJson, DIAGNOSTIC_KEYS);
    const properties = record.properties;
    if (!isObject(properties)) return 0;
    const aadiam =
      typeof record.resourceId === 'string' &&
      /\/providers\/microsoft\.aadiam/i.test(record.resourceId);
    if (isEntraCategory(record.category) || aadiam) return 1;
    return looksLikeSignIn(properties) || looksLikeAudit(properties) ? 0.9 : 0;
  },
  createParser: (context) => {
    const times = new RecordTimes(context);
    return statelessParser((record) => convert(record, times), context);
  },
};
