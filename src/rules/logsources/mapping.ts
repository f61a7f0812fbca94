import type { Event, LogSource } from '../../model/event.js';

/**
 * Log source mappings: which events a Sigma `logsource` (product, service, category) stands
 * for, and how the rule's field names map to the event's when a source names them differently.
 * They are data, so that users can add their own channels and products.
 */

export interface LogSourceMapping {
  /** What rules write: `{product: windows, category: process_creation}`. */
  logsource: LogSource & { product: string };
  /**
   * Field conditions an event must meet (case-insensitive equality with any listed value).
   * Without conditions, an event belongs to the mapping when its own log source, as its parser
   * sets it, has the same product and the same service and category as far as the mapping names them.
   */
  where?: Record<string, readonly (string | number)[]>;
  /** Rule field name → event field name, for sources that name fields differently. */
  fields?: Record<string, string>;
  description?: string;
}

/** A mapping with its index in the table, which names it in compiled rules. */
export interface IndexedMapping extends LogSourceMapping {
  index: number;
}

/** True when a rule's log source selects the mapping: every key the rule names matches. */
export function ruleSelectsMapping(rule: LogSource, mapping: LogSourceMapping): boolean {
  for (const key of ['product', 'service', 'category'] as const) {
    const wanted = rule[key];
    if (wanted === undefined) continue;
    if (mapping.logsource[key]?.toLowerCase() !== wanted.toLowerCase()) return false;
  }
  return true;
}

/**
 * The mappings a rule is compiled against. A rule that names only a product uses that product's
 * catch-all mapping, so that it sees each event once.
 */
export function mappingsForRule(
  rule: LogSource,
  table: readonly IndexedMapping[],
): IndexedMapping[] {
  if (rule.service === undefined && rule.category === undefined) {
    if (rule.product === undefined) return [];
    return table.filter(
      (mapping) =>
        mapping.logsource.product.toLowerCase() === rule.product?.toLowerCase() &&
        mapping.logsource.service === undefined &&
        mapping.logsource.category === undefined,
    );
  }
  return table.filter((mapping) => ruleSelectsMapping(rule, mapping));
}

function normalize(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : String(value).toLowerCase();
}

/** Routes events to the mappings they belong to, indexed by product and Windows channel. */
export class LogSourceRouter {
  private readonly byProduct = new Map<
    string,
    { byChannel: Map<string, IndexedMapping[]>; other: IndexedMapping[] }
  >();

  constructor(readonly table: readonly IndexedMapping[]) {
    for (const mapping of table) {
      const product = mapping.logsource.product.toLowerCase();
      let group = this.byProduct.get(product);
      if (!group) {
        group = { byChannel: new Map(), other: [] };
        this.byProduct.set(product, group);
      }
      const channels = mapping.where?.Channel;
      if (channels && channels.length > 0) {
        for (const channel of channels) {
          const key = normalize(channel);
          const list = group.byChannel.get(key) ?? [];
          list.push(mapping);
          group.byChannel.set(key, list);
        }
      } else {
        group.other.push(mapping);
      }
    }
  }

  /** Indexes of the mappings the event belongs to. */
  route(event: Event, out: number[]): void {
    out.length = 0;
    const product = event.logsource.product?.toLowerCase();
    if (product === undefined) return;
    const group = this.byProduct.get(product);
    if (!group) return;
    const channel = event.fields.Channel;
    if (channel !== undefined) {
      const list = group.byChannel.get(normalize(channel));
      if (list) for (const mapping of list) if (applies(mapping, event)) out.push(mapping.index);
    }
    for (const mapping of group.other) if (applies(mapping, event)) out.push(mapping.index);
  }
}

function applies(mapping: LogSourceMapping, event: Event): boolean {
  const where = mapping.where;
  if (where) {
    for (const [field, values] of Object.entries(where)) {
      const found = event.fields[field];
      if (found === undefined || found === null) return false;
      // A list field (the record types of a joined audit event) meets the condition when any
      // element does.
      const texts = Array.isArray(found) ? found.map(normalize) : [normalize(found)];
      if (!values.some((value) => texts.includes(normalize(value)))) return false;
    }
    return true;
  }
  for (const key of ['service', 'category'] as const) {
    const wanted = mapping.logsource[key];
    if (wanted !== undefined && event.logsource[key]?.toLowerCase() !== wanted.toLowerCase())
      return false;
  }
  return true;
}
