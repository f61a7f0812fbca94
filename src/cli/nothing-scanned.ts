import type { FileStats } from '../pipeline/scan.js';

/**
 * Returns why nothing was scanned when no input gave a record and at least one input failed, or
 * undefined otherwise. A scheduled scan must not take such a run for a quiet day, even when the
 * inputs that did not fail were empty. An input skipped with a note (an empty file, a CloudTrail
 * digest) did not fail, so a scan of only such inputs, or of an empty folder, ends normally. An
 * input that failed part way gave records, so the scan ran on them.
 */
export function nothingScanned(files: readonly FileStats[]): string | undefined {
  if (files.some((file) => file.read > 0)) return undefined;
  const failed = files.filter((file) => file.error !== undefined).length;
  if (failed === 0) return undefined;

  if (files.length === 1) return 'the input could not be read';
  if (failed === files.length) return `none of the ${files.length} inputs could be read`;
  const others = files.length - failed;
  const rest = others === 1 ? 'the other input contains' : `the other ${others} inputs contain`;
  return `${failed} of the ${files.length} inputs could not be read and ${rest} no records`;
}
