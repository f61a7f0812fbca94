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
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { PlainValueCache } from '../context/yaml-view.js';

/**
 * The values of rule files as the plain YAML parse read them, kept in a file between runs and
 * looked up by a hash of each file's text. Parsing the 2,478 SigmaHQ Windows rules and the pack
 * took about 170 ms of each command's start, and reading them from this file about 30 ms (Node
 * 20). A scan of one small file with those rules took 0.98 s instead of 1.08 s.
 *
 * Only values that JSON gives back unchanged are kept (`isJsonValue`). A text that changes gets
 * a new hash, and the file names the parser and the product version, so an upgrade starts it
 * again. Its last line is a hash of the lines before it, so a file damaged in any byte is read
 * as empty and written again. Nothing fails for the cache: a file that cannot be read or
 * written is left alone, and anything but a regular file is not read.
 *
 * NOTE: the plain parse's values depend on js-yaml and on `readYamlDocuments`. A change to
 * either that changes values must raise `format` in `header`, since builds of one product
 * version would otherwise share a file.
 */

/**
 * Returns the first line of a cache file, which names the parser whose values it keeps and the
 * product version. A file with another first line is not read.
 */
function header(product: string): string {
  return JSON.stringify({
    cache: 'trustwatch rule YAML',
    format: 1,
    parser: 'js-yaml 4, core schema',
    product,
  });
}

/** Values kept at most: those of the last load first, then older ones. */
const MAX_ENTRIES = 20_000;

const FILE_NAME = 'rule-yaml.cache';

/** Starts the last line, which contains the hash of the lines before it. */
const CHECK_PREFIX = 'sha256 ';

export class ParsedRuleCache implements PlainValueCache {
  /** Values read from the file, as JSON texts by hash. */
  private readonly stored: Map<string, string>;
  /** Values of this run, found or new, as JSON texts by hash. */
  private readonly used = new Map<string, string>();
  private added = 0;
  /** Texts found in the cache, and texts not found, in this run. */
  hits = 0;
  misses = 0;

  private constructor(
    private readonly file: string | undefined,
    private readonly header: string,
    stored: Map<string, string>,
  ) {
    this.stored = stored;
  }

  /**
   * Opens the cache file in `directory`, or without one a cache that lives for this run only.
   * `product` is the version of trustwatch, which a file must name to be read.
   */
  static open(directory: string | undefined, product: string): ParsedRuleCache {
    const first = header(product);
    if (directory === undefined) return new ParsedRuleCache(undefined, first, new Map());
    const file = join(directory, FILE_NAME);
    return new ParsedRuleCache(file, first, readEntries(file, first));
  }

  get(text: string): { value: unknown } | undefined {
    const key = hashOf(text);
    const json = this.used.get(key) ?? this.stored.get(key);
    let value: unknown;
    try {
      value = json === undefined ? undefined : JSON.parse(json);
    } catch {
      // Only a file whose hash matched is read, so this is a defence: the text is parsed again.
      this.stored.delete(key);
    }
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.used.set(key, json as string);
    return { value };
  }

  set(text: string, value: unknown): void {
    if (!isJsonValue(value, 0)) return;
    this.used.set(hashOf(text), asciiJson(value));
    this.added++;
  }

  /** Writes the file when this run added values. Returns false when it could not. */
  save(): boolean {
    if (this.file === undefined || this.added === 0) return true;
    const lines = [this.header];
    for (const [key, json] of this.used) lines.push(`${key} ${json}`);
    for (const [key, json] of this.stored) {
      if (lines.length > MAX_ENTRIES) break;
      if (!this.used.has(key)) lines.push(`${key} ${json}`);
    }
    const body = `${lines.join('\n')}\n`;

    // Written beside the file and renamed over it, so that a reader never sees half a file.
    const partial = `${this.file}.${process.pid}-${threadId}.partial`;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(partial, `${body}${CHECK_PREFIX}${hashOf(body)}\n`);
      renameSync(partial, this.file);
      this.added = 0;
      return true;
    } catch {
      removeQuietly(partial);
      return false;
    }
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
 * Returns the folder of the cache: `TRUSTWATCH_CACHE_DIR` when set, `off` for none, else the
 * platform's cache folder (`$XDG_CACHE_HOME/trustwatch`, `~/.cache/trustwatch`, or
 * `%LOCALAPPDATA%\trustwatch\cache` on Windows).
 */
export function cacheDirectory(
  env: Readonly<Record<string, string | undefined>>,
  platform: string,
  home: string,
): string | undefined {
  const chosen = env.TRUSTWATCH_CACHE_DIR;
  if (chosen !== undefined && chosen !== '') return chosen === 'off' ? undefined : chosen;
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA;
    return local ? join(local, 'trustwatch', 'cache') : undefined;
  }
  const xdg = env.XDG_CACHE_HOME;
  if (xdg) return join(xdg, 'trustwatch');
  return home ? join(home, '.cache', 'trustwatch') : undefined;
}

/**
 * Returns the JSON of a value with every character beyond ASCII escaped, so that the cache file
 * is read as a one-byte string. One emoji in one rule made the whole file a two-byte string, of
 * twice the memory. `JSON.parse` gives the same value back.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

/** Reads the entries of a cache file, or none when it is missing, damaged or of another kind. */
function readEntries(file: string, first: string): Map<string, string> {
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
  if (lines[0] !== first) return entries;
  for (let at = 1; at < lines.length; at++) {
    const line = lines[at] as string;
    const space = line.indexOf(' ');
    if (space > 0) entries.set(line.slice(0, space), line.slice(space + 1));
  }
  return entries;
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

/** Maximum depth of a value kept: rule documents nest a few levels. */
const MAX_DEPTH = 64;

/**
 * Tells whether `JSON.parse(JSON.stringify(value))` equals the value: plain objects and arrays
 * of strings, finite numbers other than -0, booleans and null.
 */
function isJsonValue(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const [key, item] of Object.entries(value)) {
    if (key === '__proto__' || !isJsonValue(item, depth + 1)) return false;
  }
  return true;
}
