import type { LogSourceMapping } from './mapping.js';

/** AWS log sources as the public Sigma rules name them: CloudTrail events keep their own names. */
export const AWS_LOGSOURCES: readonly LogSourceMapping[] = [
  { logsource: { product: 'aws' }, description: 'every AWS event' },
  { logsource: { product: 'aws', service: 'cloudtrail' }, description: 'CloudTrail events' },
];
