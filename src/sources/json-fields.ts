import { isObject, type JsonObject, text } from './json-shape.js';

/**
 * Field helpers for sources whose JSON records come from Microsoft and Okta audit logs: key
 * spellings that differ only in case, JSON kept in strings, `[{Name, Value}]` lists made
 * readable as fields, client addresses written with a port, and changed values written as JSON.
 */

/** Builds the lookup that `canonicalKeys` takes from a product's documented key names. */
export function keySpellings(names: readonly string[]): ReadonlyMap<string, string> {
  return new Map(names.map((name) => [name.toLowerCase(), name]));
}

/**
 * Renames the keys of a record that differ from the product's documented names only in case
 * (`creationtime` for `CreationTime`, as some exporters lowercase them). A key whose documented
 * spelling is also present is left as it is. Returns the same object when nothing changes.
 */
export function canonicalKeys(
  record: JsonObject,
  spellings: ReadonlyMap<string, string>,
): JsonObject {
  let changed = false;
  for (const key of Object.keys(record)) {
    const canonical = spellings.get(key.toLowerCase());
    if (canonical !== undefined && canonical !== key && !(canonical in record)) changed = true;
  }
  if (!changed) return record;

  const out: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    const canonical = spellings.get(key.toLowerCase());
    const name = canonical !== undefined && !(canonical in record) ? canonical : key;
    out[name] = value;
  }
  return out;
}

/** Parses a string that contains a JSON object or array; returns any other value as it is. */
export function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return value;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return value;
  }
}

/**
 * Adds one field per entry of a `[{Name, Value}]` list, as `<prefix>.<Name>`: Exchange cmdlet
 * `Parameters` become `Parameters.AccessRights` and so on. A name given twice keeps every value.
 */
export function addNamedValues(
  out: JsonObject,
  list: unknown,
  prefix: string,
  nameKey: string,
  valueKeys: readonly [string, string?][],
): void {
  if (!Array.isArray(list)) return;
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const name = text(entry[nameKey]);
    if (name === undefined) continue;
    for (const [valueKey, suffix] of valueKeys) {
      if (!(valueKey in entry)) continue;
      const field = suffix ? `${prefix}.${name}.${suffix}` : `${prefix}.${name}`;
      appendValue(out, field, entry[valueKey]);
    }
  }
}

/** Sets a field, turning it into a list when it already has a value. */
export function appendValue(out: JsonObject, field: string, value: unknown): void {
  if (value === undefined) return;
  if (!(field in out)) {
    out[field] = value;
    return;
  }
  const existing = out[field];
  out[field] = Array.isArray(existing) ? [...existing, value] : [existing, value];
}

/**
 * Reads the address of a client as cloud logs write it, without port or brackets:
 * `[2001:db8::1]:443` and `192.0.2.1:50123` become `2001:db8::1` and `192.0.2.1`.
 */
export function clientAddress(value: unknown): string | undefined {
  let address = text(value);
  if (address === undefined) return undefined;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close > 0) address = address.slice(1, close);
  }
  const port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(address);
  if (port) address = port[1] as string;
  if (address.toLowerCase().startsWith('::ffff:') && address.includes('.')) {
    address = address.slice(7);
  }
  return address;
}

/**
 * Decodes the value of a changed property as Microsoft audit logs write it. JSON text of a
 * string or of a list of scalars (`"\"Global Administrator\""`, `["4f1c…"]`) gives its values.
 * Other text, and JSON objects, are kept whole.
 */
export function decodeJsonValues(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'string') return [value];
  const raw = value.trim();
  if (raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [value];
  }
  if (typeof parsed === 'string') return parsed === '' ? [] : [parsed];
  if (Array.isArray(parsed) && parsed.every((item) => item === null || typeof item !== 'object')) {
    return parsed.filter((item) => item !== null && item !== '');
  }
  if (parsed === null) return [];
  if (typeof parsed !== 'object') return [parsed];
  return [value];
}
