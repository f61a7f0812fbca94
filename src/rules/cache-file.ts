import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * The file format of trustwatch's caches between runs: a first line that names what the file
 * keeps, then one `key value` line per entry, then a line with the hash of the lines before it.
 * A file damaged in any byte, or with another first line, is read as empty. Nothing fails for a
 * cache: a file that cannot be read or written is left alone, and anything but a regular file
 * is not read.
 */

/** Starts the last line, which contains the hash of the lines before it. */
const CHECK_PREFIX = 'sha256 ';

/** Returns the SHA-256 of a text in base64, the form of cache keys and of the check line. */
export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

/** Reads the entries of a cache file, or none when it is missing, damaged or of another kind. */
export function readCacheEntries(file: string, header: string): Map<string, string> {
  const entries = new Map<string, string>();
  const text = readRegularFile(file);
  if (text === undefined) return entries;

  // The hash line starts a line, and a value could contain its prefix too.
  const check = text.lastIndexOf(`\n${CHECK_PREFIX}`) + 1;
  const body = check <= 0 ? '' : text.slice(0, check);
  if (body === '' || text.slice(check + CHECK_PREFIX.length).trimEnd() !== hashOf(body)) {
    return entries;
  }
  const lines = body.split('\n');
  if (lines[0] !== header) return entries;
  for (let at = 1; at < lines.length; at++) {
    const line = lines[at] as string;
    const space = line.indexOf(' ');
    if (space > 0) entries.set(line.slice(0, space), line.slice(space + 1));
  }
  return entries;
}

/**
 * Writes a cache file of `header` and the entries, of which the first `maxEntries` are kept.
 * Returns false when it could not. The file is written beside its place and renamed over it, so
 * that a reader never sees half a file.
 */
export function writeCacheFile(
  file: string,
  header: string,
  entries: Iterable<[string, string]>,
  maxEntries: number,
): boolean {
  const lines = [header];
  for (const [key, value] of entries) {
    if (lines.length > maxEntries) break;
    lines.push(`${key} ${value}`);
  }
  const body = `${lines.join('\n')}\n`;

  const partial = `${file}.${process.pid}-${threadId}.partial`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(partial, `${body}${CHECK_PREFIX}${hashOf(body)}\n`);
    renameSync(partial, file);
    return true;
  } catch {
    removeQuietly(partial);
    return false;
  }
}

/** Removes a file if it is there and can be removed. */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // A folder that cannot be written to has no partial file either.
  }
}

/**
 * Returns the text of a regular file, or undefined. The file is opened without waiting, so that
 * a named pipe put in its place cannot stall the command.
 */
function readRegularFile(file: string): string | undefined {
  let descriptor: number;
  try {
    descriptor = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    return fstatSync(descriptor).isFile() ? readFileSync(descriptor, 'utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(descriptor);
  }
}
