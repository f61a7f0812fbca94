import type { LogSourceMapping } from './mapping.js';

/** GitHub audit log entries, as the public Sigma rules name them (`product: github, service: audit`). */
export const GITHUB_LOGSOURCES: readonly LogSourceMapping[] = [
  { logsource: { product: 'github' }, description: 'every GitHub audit log entry' },
  {
    logsource: { product: 'github', service: 'audit' },
    description: 'organization and enterprise audit log',
  },
];
