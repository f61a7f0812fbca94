import { RecordError } from '../../model/errors.js';
import type { FramedRecord, SourceFormat } from '../format.js';
import { statelessParser } from '../format.js';
import { RecordTimes } from '../record-time.js';
import { looksLikeUal, ualEvent } from './ual-event.js';

/**
 * Microsoft 365 unified audit log records as the Office 365 Management Activity API returns
 * content blobs (a JSON array per blob, Audit.AzureActiveDirectory, Audit.Exchange,
 * Audit.SharePoint, Audit.General), or one record per line.
 */

function convert(record: FramedRecord, times: RecordTimes) {
  if (!looksLikeUal(record.value)) {
    throw new RecordError(
      'unexpected_shape',
      'record has no CreationTime and Operation of the unified audit log schema',
    );
  }
  return ualEvent('m365-management-api', record.value, record.origin, times);
}

export const m365ManagementApiFormat: SourceFormat = {
  name: 'm365-management-api',
  description:
    'Microsoft 365 unified audit log as the Office 365 Management Activity API returns it (CreationTime, Operation, Workload)',
  framing: 'json',
  detect(sample) {
    const value = sample.firstJson;
    if (!looksLikeUal(value)) return 0;
    // Log Analytics OfficeActivity rows carry CreationTime too, beside their own columns.
    return value.OfficeWorkload === undefined && value.Type !== 'OfficeActivity' ? 1 : 0;
  },
  createParser: (context) => {
    const times = new RecordTimes(context);
    return statelessParser((record) => convert(record, times), context);
  },
};
