import type { LogSourceMapping } from './mapping.js';

/** Okta System Log events, with the API's own field names, as the public Sigma rules use them. */
export const OKTA_LOGSOURCES: readonly LogSourceMapping[] = [
  { logsource: { product: 'okta' }, description: 'every Okta System Log event' },
  { logsource: { product: 'okta', service: 'okta' }, description: 'Okta System Log' },
];
