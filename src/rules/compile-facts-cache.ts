import { join } from 'node:path';
import { asciiJson, CacheEntries, hashOf, readCacheEntries } from './cache-file.js';
import type { FactsAtLoad } from './compiled-at-load.js';

/**
 * The facts of rule compiles at load (compiled-at-load.ts), kept between runs: each rule's index
 * keys, equalities and fields read. Loading compiles every rule to find them. With the facts
 * from this file, a rule compiles when the detector first runs it, as a worker thread's rules
 * do. With the 2,478 SigmaHQ Windows rules and the pack (Node 20, Xeon), a scan of 6,202 events
 * took 0.94 s instead of 1.17 s. An OTRF scan spent 0.27 s instead of 0.48 s loading rules, but
 * 0.21 s instead of 0.04 s compiling the rules it ran, which are the costly ones.
 *
 * Index keys decide which rules an event is tested with, so facts from other code would miss
 * matches. The file names the build of trustwatch, a hash of its code that the bundle script
 * computes, and the versions of Node.js, V8 and ICU. A run without a build (the modules run
 * from source) neither reads nor writes it. A rule is kept only when its compile reported
 * nothing, needed no time budget for an expression and used no placeholder, whose values come
 * from settings. So the detector compiles a rule from this file as this build and runtime did.
 */

/** Facts kept at most: those of the last load first, then older ones. */
const MAX_ENTRIES = 20_000;

const FILE_NAME = 'rule-facts.cache';

/**
 * Builds the first line of a cache file, which a file must have to be read. It names the
 * runtime too, because V8 decides whether an expression compiles and runs in linear time, and
 * ICU how index keys are lower-cased.
 */
function header(product: string, build: string): string {
  const { node, v8, icu } = process.versions;
  const runtime = { node, v8, icu: icu ?? null };
  return JSON.stringify({ cache: 'trustwatch rule facts', format: 1, product, build, runtime });
}

/** Facts looked up by a rule document's key (`documentKeys`). */
export interface FactsCache {
  get(key: string): FactsAtLoad | undefined;
  set(key: string, facts: FactsAtLoad): void;
}

/** Returns the key maker of a rule file's documents, by their index counting from 0. */
export function documentKeys(text: string): (index: number) => string {
  const hash = hashOf(text);
  return (index) => `${hash}#${index}`;
}

export class CompileFactsCache implements FactsCache {
  private readonly entries: CacheEntries;
  /** Documents found in the cache, and documents not found, in this run. */
  hits = 0;
  misses = 0;

  private constructor(
    private readonly file: string,
    private readonly header: string,
  ) {
    this.entries = new CacheEntries(readCacheEntries(file, header));
  }

  /**
   * Opens the cache file in `directory`, or returns undefined without a folder or a build: a
   * run from source cannot tell its code from another's.
   */
  static open(
    directory: string | undefined,
    product: string,
    build: string | undefined,
  ): CompileFactsCache | undefined {
    if (directory === undefined || build === undefined || build === '') return undefined;
    return new CompileFactsCache(join(directory, FILE_NAME), header(product, build));
  }

  get(key: string): FactsAtLoad | undefined {
    const json = this.entries.find(key);
    const facts = json === undefined ? undefined : decodeFacts(json);
    if (facts === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.keep(key, json as string);
    return facts;
  }

  set(key: string, facts: FactsAtLoad): void {
    this.entries.add(key, encodeFacts(facts));
  }

  /** Writes the file when this run added facts. Returns false when it could not. */
  save(): boolean {
    return this.entries.save(this.file, this.header, MAX_ENTRIES);
  }
}

/** Facts as JSON: sets become sorted lists, so that equal facts are equal texts. */
interface EncodedFacts {
  requires: [string, string[]][];
  equalities: [string, string[]][] | null;
  reads: string[] | 'record' | 'timed';
  fields: string[];
}

export function encodeFacts(facts: FactsAtLoad): string {
  const keyed = (map: ReadonlyMap<string, ReadonlySet<string>>): [string, string[]][] =>
    [...map].map(([key, values]) => [key, [...values].sort()]);
  const encoded: EncodedFacts = {
    requires: keyed(facts.requires),
    equalities: facts.equalities === undefined ? null : keyed(facts.equalities),
    reads: typeof facts.reads === 'string' ? facts.reads : [...facts.reads].sort(),
    fields: [...facts.fields],
  };
  return asciiJson(encoded);
}

/** Returns the facts of a JSON text, or undefined when it is not what `encodeFacts` writes. */
export function decodeFacts(json: string): FactsAtLoad | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { requires, equalities, reads, fields } = value as Partial<EncodedFacts>;
  if (!isKeyedList(requires) || !(equalities === null || isKeyedList(equalities))) return undefined;
  if (!(reads === 'record' || reads === 'timed' || isTextList(reads))) return undefined;
  if (!isTextList(fields)) return undefined;
  const keyed = (list: [string, string[]][]) =>
    new Map(list.map(([key, values]) => [key, new Set(values)] as const));
  return {
    requires: keyed(requires),
    equalities: equalities === null ? undefined : keyed(equalities),
    reads: typeof reads === 'string' ? reads : new Set(reads),
    fields,
  };
}

function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isKeyedList(value: unknown): value is [string, string[]][] {
  return (
    Array.isArray(value) &&
    value.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length === 2 &&
        typeof entry[0] === 'string' &&
        isTextList(entry[1]),
    )
  );
}
