import { join } from 'node:path';
import type { PlainValueCache } from '../context/yaml-view.js';
import { asciiJson, CacheEntries, hashOf, readCacheEntries } from './cache-file.js';

/**
 * The values of rule files as the plain YAML parse read them, kept in a file between runs and
 * looked up by a hash of each file's text. Parsing the 2,478 SigmaHQ Windows rules and the pack
 * took about 170 ms of each command's start, and reading them from this file about 30 ms (Node
 * 20). A scan of one small file with those rules took 0.98 s instead of 1.08 s.
 *
 * Only values that JSON gives back unchanged are kept (`isJsonValue`). A text that changes gets
 * a new hash, and the file names the parser and the product version, so an upgrade starts it
 * again. The file's format and its checks are those of cache-file.ts.
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

export class ParsedRuleCache implements PlainValueCache {
  /** Texts found in the cache, and texts not found, in this run. */
  hits = 0;
  misses = 0;

  private constructor(
    private readonly file: string | undefined,
    private readonly header: string,
    private readonly entries: CacheEntries,
  ) {}

  /**
   * Opens the cache file in `directory`, or without one a cache that lives for this run only.
   * `product` is the version of trustwatch, which a file must name to be read.
   */
  static open(directory: string | undefined, product: string): ParsedRuleCache {
    const first = header(product);
    if (directory === undefined) {
      return new ParsedRuleCache(undefined, first, new CacheEntries(new Map()));
    }
    const file = join(directory, FILE_NAME);
    return new ParsedRuleCache(file, first, new CacheEntries(readCacheEntries(file, first)));
  }

  get(text: string): { value: unknown } | undefined {
    const key = hashOf(text);
    const json = this.entries.find(key);
    let value: unknown;
    try {
      value = json === undefined ? undefined : JSON.parse(json);
    } catch {
      // Only a file whose hash matched is read, so this is a defence: the text is parsed again.
      this.entries.drop(key);
    }
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.keep(key, json as string);
    return { value };
  }

  set(text: string, value: unknown): void {
    if (!isJsonValue(value, 0)) return;
    this.entries.add(hashOf(text), asciiJson(value));
  }

  /** Writes the file when this run added values. Returns false when it could not. */
  save(): boolean {
    if (this.file === undefined) return true;
    return this.entries.save(this.file, this.header, MAX_ENTRIES);
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
