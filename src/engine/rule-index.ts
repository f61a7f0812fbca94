import { type FieldAccessor, fieldAccessor } from '../rules/fields.js';
import type { Requirement } from '../rules/index-keys.js';
import type { FieldReads, Matcher } from '../rules/search.js';
import { type SubstringTable, substringTable } from '../rules/substring-scan.js';
import { parseNumeric } from '../rules/values.js';
import { type WordSearches, type WordTables, wordHash, wordSearches } from '../rules/word-scan.js';

/**
 * The detector's rule index for a set of rules compiled for the log source mappings of a route:
 * the rules bucketed under the index keys of their requirements (rules/index-keys.ts). A route's
 * rules are split first by the values of one field (index-partition.ts), and each part is keyed
 * here.
 */

/** A rule compiled for one mapping. */
export interface Variant {
  ruleIndex: number;
  match: Matcher;
  /** Fields the rule reads (`CompiledDetection.reads`). */
  reads: FieldReads;
  /** Stamp of the last event the variant ran on: a variant in several buckets runs once. */
  seen: number;
}

/** Variants bucketed by index key and value. */
export interface KeyedVariants {
  valueKeys: ValueKey[];
  wordKeys: WordKey[];
  substringKeys: SubstringKey[];
  unindexed: Variant[];
}

/** The `*` keys of one field: the variants of each substring (rules/substring-scan.ts). */
export interface SubstringKey {
  accessor: FieldAccessor;
  table: SubstringTable<Variant>;
}

/**
 * Maximum number of substring keys on one field. All of a field's keys are searched as one
 * alternation, and a context list of thousands of `contains` values would make it large to
 * compile. A variant with keys on a field past the limit stays unindexed.
 */
const MAX_SUBSTRING_KEYS = 2000;

/**
 * The `=` key of one field: the variants of each value (`indexKey`), and the lengths of those
 * values. An event value of another length is not looked up, because a lookup hashes the whole
 * value. Before, the 600-character `CallTrace` of each Sysmon process access event was hashed to
 * look for the one rule value `ente`, which took 0.24 s of a 12 s scan of OTRF events.
 */
export interface ValueKey {
  accessor: FieldAccessor;
  byValue: Map<string, Variant[]>;
  /** Flags by length: 1 where some value of `byValue` has that length, else 0. */
  lengths: Uint8Array;
}

/**
 * The `~`, `^` and `$` keys of one field: the variants of each word, start and end, bucketed by
 * hash (`wordHash`).
 *
 * A text of at least `LONG_TEXT` characters, such as a PowerShell `ContextInfo` of 5 KB, is not
 * scanned a character at a time when `search` is set. Instead `search` finds the keys of most
 * variants in compiled code, and the variants in `direct` run on the text as they are. A variant
 * goes to `direct` when it has many keys on the field, such as a list of 200 script names,
 * since its own test reads the text faster than a scan for its keys.
 */
export interface WordKey {
  accessor: FieldAccessor;
  tables: WordTables<Variant[]>;
  search: WordSearches | undefined;
  direct: Variant[];
}

/** Minimum length of a text that `WordKey.search` searches. */
export const LONG_TEXT = 256;

/**
 * Maximum number of words, starts and ends that one `WordKey.search` finds. The SigmaHQ
 * PowerShell module rules other than script lists have 17 keys on `ContextInfo`. With room for
 * 16, one of them ran directly on each of the 35,000 PowerShell module events of the OTRF set,
 * which took longer than searching for its three keys.
 */
const MAX_SEARCH_KEYS = 24;

/**
 * Maximum number of variants in `WordKey.direct`. With more, a long text is scanned a character
 * at a time. On PowerShell `ContextInfo` values that scan took as long as 4 to 16 of the rules
 * that test the field (Node 20), so a few rules run directly cost less.
 */
const MAX_DIRECT = 4;

/** The part of a word that each kind of word key names. */
type WordPart = 'words' | 'starts' | 'ends';

const WORD_PARTS: Readonly<Record<string, WordPart>> = { '~': 'words', '^': 'starts', $: 'ends' };

/** Keys of one variant on one field, by part. */
interface VariantKeys extends Record<WordPart, Set<string>> {
  variant: Variant;
}

/** Buckets each variant under every (key, value) pair of its requirement. */
export function buildKeyed(
  variants: readonly { variant: Variant; requires: Requirement }[],
): KeyedVariants {
  const valueKeys = new Map<string, ValueKey>();
  const wordFields = new Map<string, { key: WordKey; byVariant: Map<Variant, VariantKeys> }>();
  const substrings = new Map<string, Map<string, Variant[]>>();
  const index: KeyedVariants = { valueKeys: [], wordKeys: [], substringKeys: [], unindexed: [] };
  const scanned = fieldsWithWords(variants);
  const crowded = fieldsWithManySubstrings(variants);
  for (const { variant, requires } of variants) {
    if (
      requires.size === 0 ||
      !affixesScanned(requires, scanned) ||
      hasSubstringOn(requires, crowded)
    ) {
      index.unindexed.push(variant);
      continue;
    }
    for (const [name, values] of requires) {
      const part = WORD_PARTS[name[0] as string];
      const field = name.slice(1);
      if (name[0] === '*') {
        const table = substrings.get(field) ?? new Map<string, Variant[]>();
        substrings.set(field, table);
        addToBucket(table, values, variant);
        continue;
      }
      if (part !== undefined) {
        let entry = wordFields.get(field);
        if (!entry) {
          entry = { key: newWordKey(fieldAccessor(field)), byVariant: new Map() };
          wordFields.set(field, entry);
          index.wordKeys.push(entry.key);
        }
        addWords(entry.key, entry.byVariant, part, values, variant);
        continue;
      }
      let key = valueKeys.get(name);
      if (!key) {
        key = { accessor: fieldAccessor(field), byValue: new Map(), lengths: new Uint8Array(0) };
        valueKeys.set(name, key);
        index.valueKeys.push(key);
      }
      addToBucket(key.byValue, new Set([...values].map(indexKey)), variant);
    }
  }
  for (const key of index.valueKeys) key.lengths = lengthsOf(key.byValue.keys());
  for (const { key, byVariant } of wordFields.values()) planLongTexts(key, [...byVariant.values()]);
  for (const [field, table] of substrings) {
    index.substringKeys.push({ accessor: fieldAccessor(field), table: substringTable(table) });
  }
  return index;
}

/** Fields with more than `MAX_SUBSTRING_KEYS` distinct substring keys over all variants. */
function fieldsWithManySubstrings(variants: readonly { requires: Requirement }[]): Set<string> {
  const keys = new Map<string, Set<string>>();
  for (const { requires } of variants) {
    for (const [name, values] of requires) {
      if (name[0] !== '*') continue;
      const field = name.slice(1);
      const set = keys.get(field) ?? new Set<string>();
      keys.set(field, set);
      for (const value of values) set.add(value);
    }
  }
  const crowded = new Set<string>();
  for (const [field, set] of keys) if (set.size > MAX_SUBSTRING_KEYS) crowded.add(field);
  return crowded;
}

function hasSubstringOn(requires: Requirement, fields: ReadonlySet<string>): boolean {
  if (fields.size === 0) return false;
  for (const name of requires.keys()) {
    if (name[0] === '*' && fields.has(name.slice(1))) return true;
  }
  return false;
}

/** Returns flags by length, 1 at the length of each value, as long as the longest value + 1. */
function lengthsOf(values: Iterable<string>): Uint8Array {
  const all = [...values];
  // A loop, because a context list can give a key more values than a spread call takes arguments.
  let longest = 0;
  for (const value of all) longest = Math.max(longest, value.length);
  const lengths = new Uint8Array(longest + 1);
  for (const value of all) lengths[value.length] = 1;
  return lengths;
}

/**
 * Minimum number of variants with word start or end keys on a field that no variant has whole
 * word keys on, for the field to be scanned anyway. Thirty SigmaHQ process creation rules have
 * only `Hashes` starts (lists of `MD5=…`), and each ran on every process creation event.
 */
const MIN_AFFIX_VARIANTS = 8;

/**
 * Fields that the detector scans for words: those that some variant has a whole word key on,
 * and those that at least `MIN_AFFIX_VARIANTS` variants have start or end keys on.
 */
function fieldsWithWords(variants: readonly { requires: Requirement }[]): Set<string> {
  const fields = new Set<string>();
  const affixVariants = new Map<string, number>();
  for (const { requires } of variants) {
    const affixFields = new Set<string>();
    for (const name of requires.keys()) {
      if (name[0] === '~') fields.add(name.slice(1));
      else if (name[0] === '^' || name[0] === '$') affixFields.add(name.slice(1));
    }
    for (const field of affixFields) affixVariants.set(field, (affixVariants.get(field) ?? 0) + 1);
  }
  for (const [field, count] of affixVariants) if (count >= MIN_AFFIX_VARIANTS) fields.add(field);
  return fields;
}

/**
 * Tells whether each field that the requirement has a word start or end key on is scanned (see
 * `fieldsWithWords`). If not, the variant stays unindexed. Its starts and ends alone would add a
 * scan of the field, such as the `Hashes` of each image load, to every event that has it. That
 * scan would cost about as much as the few rule tests it saves (an estimate).
 */
function affixesScanned(requires: Requirement, scanned: ReadonlySet<string>): boolean {
  for (const name of requires.keys()) {
    if ((name[0] === '^' || name[0] === '$') && !scanned.has(name.slice(1))) return false;
  }
  return true;
}

function newWordKey(accessor: FieldAccessor): WordKey {
  return {
    accessor,
    tables: { words: new Map(), starts: undefined, ends: undefined },
    search: undefined,
    direct: [],
  };
}

/** Buckets the variant under the hashes of `values`, in the table of their part. */
function addWords(
  key: WordKey,
  byVariant: Map<Variant, VariantKeys>,
  part: WordPart,
  values: ReadonlySet<string>,
  variant: Variant,
): void {
  if (part !== 'words') key.tables[part] ??= new Map();
  const table = key.tables[part] as Map<number, Variant[]>;
  addToBucket(table, new Set([...values].map(wordHash)), variant);

  let keys = byVariant.get(variant);
  if (!keys) {
    keys = { variant, words: new Set(), starts: new Set(), ends: new Set() };
    byVariant.set(variant, keys);
  }
  for (const value of values) keys[part].add(value);
}

/**
 * Sets `search` and `direct` of a field's key: the variants with the fewest keys are searched,
 * up to `MAX_SEARCH_KEYS` keys, and the rest run directly, unless they are more than
 * `MAX_DIRECT`.
 */
function planLongTexts(key: WordKey, variants: VariantKeys[]): void {
  const size = (keys: VariantKeys) => keys.words.size + keys.starts.size + keys.ends.size;
  variants.sort((a, b) => size(a) - size(b));
  const words = new Set<string>();
  const starts = new Set<string>();
  const ends = new Set<string>();
  const direct: Variant[] = [];
  for (const keys of variants) {
    const total =
      unionSize(words, keys.words) + unionSize(starts, keys.starts) + unionSize(ends, keys.ends);
    if (direct.length === 0 && total <= MAX_SEARCH_KEYS) {
      for (const word of keys.words) words.add(word);
      for (const start of keys.starts) starts.add(start);
      for (const end of keys.ends) ends.add(end);
    } else {
      direct.push(keys.variant);
    }
  }
  if (direct.length > MAX_DIRECT) return;
  key.search = wordSearches(words, starts, ends);
  key.direct = direct;
}

/** Returns the size of the union of two sets. */
function unionSize(known: ReadonlySet<string>, added: ReadonlySet<string>): number {
  let size = known.size;
  for (const item of added) if (!known.has(item)) size++;
  return size;
}

/** Adds the variant to the bucket of each key. */
function addToBucket<K>(buckets: Map<K, Variant[]>, keys: Iterable<K>, variant: Variant): void {
  for (const key of keys) {
    const bucket = buckets.get(key);
    if (bucket) bucket.push(variant);
    else buckets.set(key, [variant]);
  }
}

/**
 * Returns the bucket key of a value: numbers in canonical decimal (so that a rule's 999 and an
 * event's `0x3e7` meet), everything else lower-cased. Keys may gather values that are not equal,
 * because the rule's own test decides. The index only keeps rules away from events.
 */
export function indexKey(value: unknown): string {
  // Lower-cased like text, so that `Infinity` from a rule's `.inf` meets a `1e400` of an event.
  if (typeof value === 'number') return String(value).toLowerCase();
  const text = String(value);
  // A text that starts with an ASCII character after `9` is not a number, even after trimming.
  const first = text.charCodeAt(0);
  if (first > 0x39 && first < 0x80) return text.toLowerCase();
  const number = parseNumeric(text);
  return number === undefined ? text.toLowerCase() : String(number).toLowerCase();
}
