import type { FileStats } from '../pipeline/scan.js';

/**
 * Returns why nothing was scanned when no input gave a record and at least one input failed, or
 * undefined otherwise. A scheduled scan must not take such a run for a quiet day, even when the
 * inputs that did not fail were empty. An input gave a record when one of its records was parsed.
 * It failed when it could not be read, or when every record read from it was rejected, in any
 * format (an EVTX file whose every record is damaged, a JSON file of invalid lines). An input
 * skipped with a note (an empty file, a CloudTrail digest) did not fail, so a scan of only such
 * inputs, or of an empty folder, ends normally. An input that failed part way after a parsed
 * record gave records, so the scan ran on them.
 */
export function nothingScanned(files: readonly FileStats[]): string | undefined {
  if (files.some((file) => file.parsed > 0)) return undefined;
  const unread = files.filter((file) => file.error !== undefined).length;
  const rejected = files.filter((file) => file.error === undefined && file.rejected > 0).length;
  if (unread + rejected === 0) return undefined;

  if (files.length === 1) {
    return unread === 1 ? 'the input could not be read' : 'every record of the input was rejected';
  }
  if (unread === files.length) return `none of the ${files.length} inputs could be read`;
  if (rejected === files.length) return `every record of the ${files.length} inputs was rejected`;

  const failures: string[] = [];
  const total = `of the ${files.length} inputs`;
  if (unread > 0) failures.push(`${unread} ${total} could not be read`);
  if (rejected > 0) {
    failures.push(`${rejected} ${unread > 0 ? '' : `${total} `}had every record rejected`);
  }
  const others = files.length - unread - rejected;
  if (others === 0) return failures.join(' and ');
  const rest = others === 1 ? 'the other input contains' : `the other ${others} inputs contain`;
  return `${failures.join(', ')} and ${rest} no records`;
}
