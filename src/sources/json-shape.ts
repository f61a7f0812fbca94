/** Small helpers that the JSON sources share to read records of loosely known shape. */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Returns the value at a path of object keys, or undefined when any step is missing. */
export function pick(root: unknown, ...path: string[]): unknown {
  let node = root;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

const EMPTY_TEXT = new Set(['', '-', 'null', '(null)', 'n/a']);

/** Returns a scalar as text, or undefined for absent, empty and placeholder values (`-`, `null`). */
export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return undefined;
  const result = String(value).trim();
  return EMPTY_TEXT.has(result.toLowerCase()) ? undefined : result;
}

/** Returns the first of the values that is non-empty text. */
export function firstText(...values: unknown[]): string | undefined {
  for (const value of values) {
    const found = text(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function truncate(value: string, length: number): string {
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}
