import type { LogSourceMapping } from './mapping.js';

/**
 * Microsoft 365 log sources as the public Sigma rules name them. Every unified audit log record
 * is `service: audit` and keeps the Management Activity API field names. The rules for
 * `exchange`, `threat_management` and `threat_detection` use an older naming (`eventSource`,
 * `eventName`, `status`), mapped here to `Workload`, `Operation` or the alert `Name`, and
 * `ResultStatus`. `Parameters|contains` tests read the parameters as `-Name Value` text.
 */

const AUDIT_FIELDS: Record<string, string> = {
  Parameters: 'ParametersText',
  OperationProperties: 'OperationPropertiesText',
  RequestType: 'ExtendedProperties.RequestType',
};

const ALERT_FIELDS: Record<string, string> = {
  eventSource: 'Workload',
  eventName: 'Name',
  status: 'ResultStatus',
  Payload: 'Data',
};

export const M365_LOGSOURCES: readonly LogSourceMapping[] = [
  { logsource: { product: 'm365' }, description: 'every Microsoft 365 audit record' },
  {
    logsource: { product: 'm365', service: 'audit' },
    fields: AUDIT_FIELDS,
    description: 'Microsoft 365 unified audit log',
  },
  {
    logsource: { product: 'm365', service: 'exchange' },
    where: { Workload: ['Exchange'] },
    fields: {
      ...AUDIT_FIELDS,
      eventSource: 'Workload',
      eventName: 'Operation',
      status: 'ResultStatus',
    },
    description: 'Exchange Online records of the unified audit log',
  },
  {
    logsource: { product: 'm365', service: 'threat_management' },
    where: { Workload: ['SecurityComplianceCenter'] },
    fields: ALERT_FIELDS,
    description: 'Security and compliance alerts in the unified audit log',
  },
  {
    logsource: { product: 'm365', service: 'threat_detection' },
    where: { Workload: ['SecurityComplianceCenter'] },
    fields: ALERT_FIELDS,
    description: 'Security and compliance alerts in the unified audit log',
  },
  {
    logsource: { product: 'm365', service: 'defender' },
    description:
      'Microsoft Defender XDR advanced hunting rows that carry no unified audit log record',
  },
];
