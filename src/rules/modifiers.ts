/**
 * The registry of Sigma value modifiers (specification v2.1): what each one does to a value or
 * to the comparison. A name not listed here is reported as an unknown modifier at load time.
 */

export type ModifierKind =
  /** Rewrites the value before matching (encodings, windash, placeholders). */
  | 'transform'
  /** Chooses how the value is compared with the field. */
  | 'compare'
  /** Changes how values combine or how a comparison behaves. */
  | 'flag'
  /** Sub-modifier of `re`. */
  | 'regex-flag'
  /** Extracts a number from a date before comparing. */
  | 'time';

export interface ModifierSpec {
  name: string;
  kind: ModifierKind;
  description: string;
}

const SPECS: ModifierSpec[] = [
  { name: 'contains', kind: 'compare', description: 'value anywhere in the field' },
  { name: 'startswith', kind: 'compare', description: 'value at the start of the field' },
  { name: 'endswith', kind: 'compare', description: 'value at the end of the field' },
  { name: 're', kind: 'compare', description: 'regular expression, case-sensitive' },
  { name: 'cidr', kind: 'compare', description: 'IPv4 or IPv6 network' },
  { name: 'exists', kind: 'compare', description: 'field present (true) or absent (false)' },
  { name: 'gt', kind: 'compare', description: 'number greater than the value' },
  { name: 'gte', kind: 'compare', description: 'number greater than or equal to the value' },
  { name: 'lt', kind: 'compare', description: 'number less than the value' },
  { name: 'lte', kind: 'compare', description: 'number less than or equal to the value' },
  { name: 'fieldref', kind: 'compare', description: 'equal to the value of the named field' },
  { name: 'all', kind: 'flag', description: 'all values must match, not any' },
  { name: 'cased', kind: 'flag', description: 'case-sensitive comparison' },
  { name: 'neq', kind: 'flag', description: 'field differs from every value' },
  { name: 'i', kind: 'regex-flag', description: 'case-insensitive regular expression' },
  { name: 'm', kind: 'regex-flag', description: 'multi-line regular expression' },
  { name: 's', kind: 'regex-flag', description: 'dot matches line breaks' },
  { name: 'base64', kind: 'transform', description: 'value encoded as Base64' },
  { name: 'base64offset', kind: 'transform', description: 'value Base64-encoded at any offset' },
  { name: 'utf16le', kind: 'transform', description: 'value encoded as UTF-16LE' },
  { name: 'wide', kind: 'transform', description: 'value encoded as UTF-16LE' },
  { name: 'utf16be', kind: 'transform', description: 'value encoded as UTF-16BE' },
  {
    name: 'utf16',
    kind: 'transform',
    description: 'value encoded as UTF-16LE with a byte order mark',
  },
  { name: 'windash', kind: 'transform', description: 'every dash variant for command-line flags' },
  { name: 'expand', kind: 'transform', description: 'placeholders replaced by context values' },
  { name: 'minute', kind: 'time', description: 'minute of the date (0-59)' },
  { name: 'hour', kind: 'time', description: 'hour of the date (0-23)' },
  { name: 'day', kind: 'time', description: 'day of the month (1-31)' },
  { name: 'week', kind: 'time', description: 'ISO week of the year (1-53)' },
  { name: 'month', kind: 'time', description: 'month (1-12)' },
  { name: 'year', kind: 'time', description: 'year' },
];

export const MODIFIERS: ReadonlyMap<string, ModifierSpec> = (() => {
  const map = new Map<string, ModifierSpec>();
  for (const spec of SPECS) {
    if (map.has(spec.name)) throw new Error(`duplicate modifier ${spec.name}`);
    map.set(spec.name, spec);
  }
  return map;
})();
