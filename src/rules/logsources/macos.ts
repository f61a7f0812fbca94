import type { LogSourceMapping } from './mapping.js';

/**
 * macOS log sources. The public Sigma rules name only categories (`process_creation`,
 * `file_event`), and Endpoint Security events carry them as their parser sets them. The unified
 * log messages of sudo count as process creation too, because sudo logs the command it runs
 * (the parser reads `Image` and `CommandLine` from it). Services name the sources themselves.
 */
export const MACOS_LOGSOURCES: readonly LogSourceMapping[] = [
  { logsource: { product: 'macos' }, description: 'every macOS event' },
  { logsource: { product: 'macos', service: 'unified_log' }, description: 'unified log' },
  {
    logsource: { product: 'macos', service: 'endpointsecurity' },
    description: 'Endpoint Security events (eslogger)',
  },
  { logsource: { product: 'macos', service: 'bsm' }, description: 'OpenBSM audit records' },
  {
    logsource: { product: 'macos', category: 'process_creation' },
    description: 'Endpoint Security exec events',
  },
  {
    logsource: { product: 'macos', category: 'process_creation' },
    where: { process: ['sudo'] },
    description: 'unified log messages of sudo, with the command it ran',
  },
  {
    logsource: { product: 'macos', category: 'file_event' },
    description: 'Endpoint Security create events',
  },
  {
    logsource: { product: 'macos', category: 'file_rename' },
    description: 'Endpoint Security rename events',
  },
];
