import { AWS_LOGSOURCES } from './aws.js';
import { LINUX_LOGSOURCES } from './linux.js';
import type { IndexedMapping, LogSourceMapping } from './mapping.js';
import { WINDOWS_LOGSOURCES } from './windows.js';

/** Built-in log source mappings, per platform. */
export const BUILTIN_LOGSOURCES: readonly LogSourceMapping[] = [
  ...WINDOWS_LOGSOURCES,
  ...LINUX_LOGSOURCES,
  ...AWS_LOGSOURCES,
];

/** The mapping table: built-in mappings, then the user's, each numbered. */
export function buildMappingTable(extra: readonly LogSourceMapping[] = []): IndexedMapping[] {
  return [...BUILTIN_LOGSOURCES, ...extra].map((mapping, index) => ({ ...mapping, index }));
}
