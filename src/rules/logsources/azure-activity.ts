import type { LogSourceMapping } from './mapping.js';

/**
 * Azure Activity Log as the public Sigma rules name it (`product: azure, service: activitylogs`).
 * Some rules use the column names of the Log Analytics `AzureActivity` table; they map to the
 * fields of the diagnostic and REST records.
 */
const ACTIVITY_FIELDS: Record<string, string> = {
  OperationNameValue: 'operationName',
  CategoryValue: 'category',
  ResourceProviderValue: 'resourceProviderName',
  ResourceId: 'resourceId',
  ActivityStatusValue: 'resultType',
  Caller: 'caller',
  CallerIpAddress: 'callerIpAddress',
};

export const AZURE_ACTIVITY_LOGSOURCES: readonly LogSourceMapping[] = [
  { logsource: { product: 'azure' }, description: 'every Azure and Entra ID event' },
  {
    logsource: { product: 'azure', service: 'activitylogs' },
    fields: ACTIVITY_FIELDS,
    description: 'Azure Activity Log (control plane)',
  },
  {
    logsource: { product: 'azure', service: 'resourcelogs' },
    description: 'other Azure Monitor resource logs (storage, AKS audit …)',
  },
];
