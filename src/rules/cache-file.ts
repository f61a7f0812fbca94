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

/**
 * Returns the JSON of a value with every character beyond ASCII escaped, so that the cache file
 * is read as a one-byte string. One emoji in one rule made the whole file a two-byte string, of
 * twice the memory. `JSON.parse` gives the same value back.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
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
 * The entries of one cache, as JSON texts by key: those read from its file, and those that this
 * run found or added. A save writes the entries of this run first, then older ones.
 */
export class CacheEntries {
  private readonly used = new Map<string, string>();
  private added = 0;

  constructor(private readonly stored: Map<string, string>) {}

  /** Returns the entry of `key`, from this run or from the file. */
  find(key: string): string | undefined {
    return this.used.get(key) ?? this.stored.get(key);
  }

  /** Marks an entry that `find` returned as used by this run, so that the next file keeps it. */
  keep(key: string, json: string): void {
    this.used.set(key, json);
  }

  add(key: string, json: string): void {
    this.used.set(key, json);
    this.added++;
  }

  /** Drops an entry of the file that could not be read. */
  drop(key: string): void {
    this.stored.delete(key);
  }

  /**
   * Writes the file when this run added entries: all of this run's, and older ones up to
   * `maxEntries` in all. Returns false when it could not.
   */
  save(file: string, header: string, maxEntries: number): boolean {
    if (this.added === 0) return true;
    const entries = [...this.used];
    for (const entry of this.stored) if (!this.used.has(entry[0])) entries.push(entry);
    const written = writeCacheFile(file, header, entries, Math.max(maxEntries, this.used.size));
    if (written) this.added = 0;
    return written;
  }
}

/**
 * Writes a cache file of `header` and the entries, of which the first `maxEntries` are kept.
 * Returns false when it could not. The file is written beside its place and renamed over it, so
 * that a reader never sees half a file.
 */
function writeCacheFile(
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
