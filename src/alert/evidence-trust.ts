import { normalizeAddress } from '../context/networks.js';
import type { EvidenceTrust } from '../model/alert.js';
import type { Event } from '../model/event.js';

/**
 * The `trust` part of an evidence item: which party a record belongs to, the context entry that
 * tied it (from the `trust.*` fields the enricher set), and the record fields that hold the
 * matched value. Sources compute the normalized attributes (actor, source address …) from
 * record fields, so the fields are found by value: those whose value equals the matched one,
 * as text without regard to case, or as the same address for `src_ip`.
 */

/** Maximum nesting depth and number of values of a record searched for the matched value. */
const MAX_DEPTH = 6;
const MAX_VALUES = 2_000;
/** Maximum number of record fields named. */
const MAX_FIELDS = 5;
/**
 * Text that may be an address as logs write it (IPv4, IPv6, bracketed, with a zone or a port).
 * Only such text is parsed, so that times, ids and messages never reach the address cache.
 */
const ADDRESS_LIKE = /^(?=[^.:]*[.:])\[?[0-9a-f:.]{2,45}(%[\w.-]{1,32})?\]?(:\d{1,5})?$/i;

export function evidenceTrust(event: Event): EvidenceTrust | null {
  const extra = event.extra;
  const party = extra['trust.party'];
  if (typeof party !== 'string') return null;

  const field = text(extra['trust.matched_field']);
  const value = text(extra['trust.matched_value']);
  const reason = extra['trust.scope_reason'];
  return {
    party,
    kind: text(extra['trust.kind']),
    matched_by: text(extra['trust.matched_by']),
    entry: text(extra['trust.matched_entry']),
    field,
    value,
    record_fields: value === '' ? [] : fieldsHolding(event.fields, value, field === 'src_ip'),
    in_scope: extra['trust.in_scope'] !== false,
    scope_reason: typeof reason === 'string' ? reason : null,
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Names of the record fields holding `value`, in record order; dotted paths for nested ones. */
export function fieldsHolding(
  fields: Record<string, unknown>,
  value: string,
  address: boolean,
): string[] {
  const target = address ? normalizeAddress(value)?.address : undefined;
  const lower = value.toLowerCase();
  const same = (candidate: string): boolean => {
    if (candidate.toLowerCase() === lower) return true;
    if (target === undefined || !ADDRESS_LIKE.test(candidate)) return false;
    return normalizeAddress(candidate)?.address === target;
  };

  const found: string[] = [];
  let visited = 0;
  const visit = (node: unknown, path: string, depth: number): void => {
    if (found.length >= MAX_FIELDS || visited >= MAX_VALUES) return;
    visited++;
    if (typeof node === 'string') {
      if (same(node) && !found.includes(path)) found.push(path);
      return;
    }
    if (node === null || typeof node !== 'object' || depth >= MAX_DEPTH) return;
    if (Array.isArray(node)) {
      // A path through an array reaches every element, as rules name such fields.
      for (const item of node) visit(item, path, depth + 1);
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      visit(child, path === '' ? key : `${path}.${key}`, depth + 1);
    }
  };
  visit(fields, '', 0);
  return found;
}
