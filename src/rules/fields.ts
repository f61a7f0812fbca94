import type { Event } from '../model/event.js';

/**
 * Field access for compiled rules. A rule's field name is looked up first among enrichment
 * fields (`trust.party`), then as a key of the record (which may itself contain dots, as flat
 * exports write them), then as a dotted path into nested objects (`userIdentity.arn`).
 */

export interface FieldAccessor {
  /** The field name as the rule writes it (after log source field mapping). */
  name: string;
  /** Position of the accessor's slot in the caches of `EvalContext`, unique per name. */
  id: number;
  get(event: Event): unknown;
}

const accessors = new Map<string, FieldAccessor>();

export function fieldAccessor(name: string): FieldAccessor {
  let accessor = accessors.get(name);
  if (accessor) return accessor;
  const parts = name.split('.');
  const id = accessors.size;
  // Enrichment names all have a dot (`trust.party`), so a name without one is a record field.
  accessor =
    parts.length === 1
      ? { name, id, get: (event) => event.fields[name] }
      : {
          name,
          id,
          get: (event) => {
            const extra = event.extra[name];
            if (extra !== undefined) return extra;
            const flat = event.fields[name];
            if (flat !== undefined) return flat;
            return walk(event.fields, parts);
          },
        };
  accessors.set(name, accessor);
  return accessor;
}

function walk(root: unknown, parts: readonly string[]): unknown {
  let node = root;
  for (const part of parts) {
    if (node === null || typeof node !== 'object') return undefined;
    if (Array.isArray(node)) {
      const index = Number(part);
      if (Number.isInteger(index)) {
        node = node[index];
        continue;
      }
      // A path through an array reaches the field of every element.
      const values = node.map((item) => walk(item, [part]));
      node = values.flat();
      continue;
    }
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * Values derived from one field of the event being evaluated, in a slot per accessor. A slot
 * is valid while its stamp equals the context's, so moving to the next event clears nothing.
 */
class SlotCache<T> {
  private readonly stamps: number[] = [];
  private readonly values: (T | undefined)[] = [];

  get(id: number, stamp: number): T | undefined {
    return this.stamps[id] === stamp ? this.values[id] : undefined;
  }

  set(id: number, stamp: number, value: T): void {
    this.stamps[id] = stamp;
    this.values[id] = value;
  }

  clear(): void {
    this.stamps.length = 0;
    this.values.length = 0;
  }
}

/** Highest stamp before the caches are cleared; small integers keep the stamp arrays packed. */
const MAX_STAMP = 0x3fffffff;

/**
 * Per-event evaluation state: string forms of field values are computed and lower-cased once
 * per event, however many rules read them.
 */
export class EvalContext {
  event: Event = undefined as unknown as Event;
  private stamp = 0;
  private readonly strings = new SlotCache<readonly string[]>();
  private readonly lowered = new SlotCache<readonly string[]>();
  private readonly keys = new SlotCache<readonly string[]>();
  private keywordValues: readonly string[] | undefined;
  private keywordLowered: readonly string[] | undefined;
  /** JSON text of the event's record, when every value of its fields is written in it. */
  private recordText: string | undefined;

  constructor(private readonly maxFieldLength: number) {}

  reset(event: Event, recordText?: string): void {
    this.event = event;
    this.recordText = recordText;
    this.stamp++;
    if (this.stamp > MAX_STAMP) {
      // Stamps start again from 1, so no slot may keep an old one.
      for (const cache of [this.strings, this.lowered, this.keys]) cache.clear();
      this.stamp = 1;
    }
    this.keywordValues = undefined;
    this.keywordLowered = undefined;
  }

  value(accessor: FieldAccessor): unknown {
    return accessor.get(this.event);
  }

  /** String forms of a field: one per scalar (array elements each), none when absent or null. */
  stringsOf(accessor: FieldAccessor): readonly string[] {
    let values = this.strings.get(accessor.id, this.stamp);
    if (values === undefined) {
      values = toStrings(accessor.get(this.event), this.maxFieldLength);
      this.strings.set(accessor.id, this.stamp, values);
    }
    return values;
  }

  lowerOf(accessor: FieldAccessor): readonly string[] {
    let values = this.lowered.get(accessor.id, this.stamp);
    if (values === undefined) {
      const strings = this.stringsOf(accessor);
      values =
        strings.length === 1 ? [(strings[0] as string).toLowerCase()] : strings.map(lowerCase);
      this.lowered.set(accessor.id, this.stamp, values);
    }
    return values;
  }

  /**
   * Field values in the form the rule index buckets them by (`indexKey`), as far as they can
   * be `maxLength` units long or shorter. A longer text that cannot be a number gets no key:
   * its key, the text lower-cased, would be no shorter, since lower-casing never shortens a
   * text. So the 600-character `CallTrace` of each Sysmon process access event is not
   * lower-cased for an index whose longest value on that field has four characters.
   */
  indexKeysUpTo(
    accessor: FieldAccessor,
    indexKey: (value: string) => string,
    maxLength: number,
  ): readonly string[] {
    const keys = this.keys.get(accessor.id, this.stamp);
    if (keys !== undefined) return keys;
    const value = accessor.get(this.event);
    if (typeof value === 'string' && Math.min(value.length, this.maxFieldLength) > maxLength) {
      // As in `indexKey`: such a first character starts no number, even after trimming.
      const first = value.charCodeAt(0);
      if (first > 0x39 && first < 0x80) return EMPTY;
    }
    return this.indexKeysOf(accessor, indexKey);
  }

  /** Field values in the form the rule index buckets them by (`indexKey`). */
  indexKeysOf(accessor: FieldAccessor, indexKey: (value: string) => string): readonly string[] {
    let keys = this.keys.get(accessor.id, this.stamp);
    if (keys === undefined) {
      // A finite number is keyed by its decimal form, as `indexKey` makes it from the text.
      const value = accessor.get(this.event);
      keys =
        typeof value === 'number' && Number.isFinite(value)
          ? [String(value)]
          : this.lowerOf(accessor).map(indexKey);
      this.keys.set(accessor.id, this.stamp, keys);
    }
    return keys;
  }

  /**
   * Tells whether `test` passes any of the values that `keywords(false)` lists. It walks the
   * record without building that list, unless another rule built it for this event already.
   *
   * `textTest`, when given, must pass every JSON text that contains a value passing `test`,
   * however JSON writes the value. A record text that fails it then contains no such value,
   * and the walk is skipped.
   */
  anyKeyword(test: (text: string) => boolean, textTest?: (text: string) => boolean): boolean {
    const recordText = this.recordText;
    if (textTest !== undefined && recordText !== undefined && !textTest(recordText)) return false;
    const listed = this.keywordValues;
    if (listed === undefined) return someString(this.event.fields, test, this.maxFieldLength, 0);
    for (const text of listed) if (test(text)) return true;
    return false;
  }

  /** Every string value of the record, for keyword searches. */
  keywords(lowered: boolean): readonly string[] {
    if (this.keywordValues === undefined) {
      const values: string[] = [];
      collectStrings(this.event.fields, values, this.maxFieldLength, 0);
      this.keywordValues = values;
    }
    if (!lowered) return this.keywordValues;
    if (this.keywordLowered === undefined) {
      this.keywordLowered = this.keywordValues.map(lowerCase);
    }
    return this.keywordLowered;
  }
}

function lowerCase(value: string): string {
  return value.toLowerCase();
}

const EMPTY: readonly string[] = [];

export function toStrings(value: unknown, maxLength: number): readonly string[] {
  if (value === undefined || value === null) return EMPTY;
  if (typeof value === 'string')
    return [value.length > maxLength ? value.slice(0, maxLength) : value];
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return [String(value)];
  }
  if (Array.isArray(value)) {
    const out: string[] = [];
    for (const item of value) {
      if (item === null || item === undefined || typeof item === 'object') continue;
      out.push(...toStrings(item, maxLength));
    }
    return out;
  }
  return EMPTY;
}

const MAX_KEYWORD_DEPTH = 16;

function collectStrings(node: unknown, out: string[], maxLength: number, depth: number): void {
  if (node === null || node === undefined || depth > MAX_KEYWORD_DEPTH) return;
  if (typeof node === 'string') {
    out.push(node.length > maxLength ? node.slice(0, maxLength) : node);
    return;
  }
  if (typeof node === 'number' || typeof node === 'boolean') {
    out.push(String(node));
    return;
  }
  if (Array.isArray(node)) {
    for (const item of node) collectStrings(item, out, maxLength, depth + 1);
    return;
  }
  if (typeof node === 'object') {
    for (const value of Object.values(node as Record<string, unknown>)) {
      collectStrings(value, out, maxLength, depth + 1);
    }
  }
}

/** Tells whether `test` passes any value that `collectStrings` would list, in the same order. */
function someString(
  node: unknown,
  test: (text: string) => boolean,
  maxLength: number,
  depth: number,
): boolean {
  if (node === null || node === undefined || depth > MAX_KEYWORD_DEPTH) return false;
  if (typeof node === 'string')
    return test(node.length > maxLength ? node.slice(0, maxLength) : node);
  if (typeof node === 'number' || typeof node === 'boolean') return test(String(node));
  if (Array.isArray(node)) {
    for (const item of node) if (someString(item, test, maxLength, depth + 1)) return true;
    return false;
  }
  if (typeof node === 'object') {
    for (const value of Object.values(node as Record<string, unknown>)) {
      if (someString(value, test, maxLength, depth + 1)) return true;
    }
  }
  return false;
}
