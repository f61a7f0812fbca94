import { AWS_LOGSOURCES } from './aws.js';
import { AZURE_LOGSOURCES } from './azure.js';
import { AZURE_ACTIVITY_LOGSOURCES } from './azure-activity.js';
import { GCP_LOGSOURCES } from './gcp.js';
import { GITHUB_LOGSOURCES } from './github.js';
import { LINUX_LOGSOURCES } from './linux.js';
import { M365_LOGSOURCES } from './m365.js';
import { MACOS_LOGSOURCES } from './macos.js';
import type { IndexedMapping, LogSourceMapping } from './mapping.js';
import { OKTA_LOGSOURCES } from './okta.js';
import { WINDOWS_LOGSOURCES } from './windows.js';

/** Built-in log source mappings, per platform. */
export const BUILTIN_LOGSOURCES: readonly LogSourceMapping[] = [
  ...WINDOWS_LOGSOURCES,
  ...GCP_LOGSOURCES,
  ...GITHUB_LOGSOURCES,
  ...AZURE_ACTIVITY_LOGSOURCES,
  ...MACOS_LOGSOURCES,
  ...LINUX_LOGSOURCES,
  ...AWS_LOGSOURCES,
  ...AZURE_LOGSOURCES,
  ...M365_LOGSOURCES,
  ...OKTA_LOGSOURCES,
];

/** The mapping table: built-in mappings, then the user's, each numbered. */
export function buildMappingTable(extra: readonly LogSourceMapping[] = []): IndexedMapping[] {
  return [...BUILTIN_LOGSOURCES, ...extra].map((mapping, index) => ({ ...mapping, index }));
}
