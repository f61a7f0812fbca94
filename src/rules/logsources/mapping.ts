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

/** A `where` condition compiled for routing: the field and its lower-cased values. */
interface Condition {
  field: string;
  values: ReadonlySet<string>;
}

/** A mapping as the router tests it, with the conditions the route has not yet settled. */
interface Route {
  index: number;
  conditions: readonly Condition[] | undefined;
  service: string | undefined;
  category: string | undefined;
}

function compileRoute(mapping: IndexedMapping, settled: string | undefined): Route {
  const where = mapping.where;
  return {
    index: mapping.index,
    conditions: where
      ? Object.entries(where)
          .filter(([field]) => field !== settled)
          .map(([field, values]) => ({ field, values: new Set(values.map(normalize)) }))
      : undefined,
    service: mapping.logsource.service?.toLowerCase(),
    category: mapping.logsource.category?.toLowerCase(),
  };
}

/**
 * The routes of one channel. When each tests at most one field, the same for all (`EventID`),
 * the indexes that apply are kept per value of that field, so that an event pays one lookup.
 */
interface ChannelRoutes {
  routes: Route[];
  field: string | undefined;
  byValue: Map<string, number[]>;
  whenMissing: number[] | undefined;
}

/** Values remembered per channel; an input with more distinct values tests the rest in turn. */
const MAX_REMEMBERED_VALUES = 4096;

/** Routes events to the mappings they belong to, indexed by product and Windows channel. */
export class LogSourceRouter {
  private readonly byProduct = new Map<
    string,
    { byChannel: Map<string, ChannelRoutes>; other: Route[] }
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
        // Events reach this list by their channel, so the route need not test it again.
        const route = compileRoute(mapping, 'Channel');
        for (const channel of channels) {
          const key = normalize(channel);
          const list: ChannelRoutes = group.byChannel.get(key) ?? {
            routes: [],
            field: undefined,
            byValue: new Map(),
            whenMissing: undefined,
          };
          list.routes.push(route);
          group.byChannel.set(key, list);
        }
      } else {
        group.other.push(compileRoute(mapping, undefined));
      }
    }
    for (const group of this.byProduct.values()) {
      for (const list of group.byChannel.values()) list.field = singleField(list.routes);
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
    if (channel !== undefined && group.byChannel.size > 0) {
      const list = group.byChannel.get(normalize(channel));
      if (list) routeChannel(list, event, out);
    }
    for (const route of group.other) if (applies(route, event)) out.push(route.index);
  }
}

function routeChannel(list: ChannelRoutes, event: Event, out: number[]): void {
  const found = list.field === undefined ? undefined : event.fields[list.field];
  const settled = found === undefined || found === null || typeof found !== 'object';
  if (list.field === undefined || !settled) {
    for (const route of list.routes) if (applies(route, event)) out.push(route.index);
    return;
  }

  const missing = found === undefined || found === null;
  const key = missing ? '' : normalize(found);
  let indexes = missing ? list.whenMissing : list.byValue.get(key);
  if (indexes === undefined) {
    indexes = [];
    for (const route of list.routes) if (applies(route, event)) indexes.push(route.index);
    if (missing) list.whenMissing = indexes;
    else if (list.byValue.size < MAX_REMEMBERED_VALUES) list.byValue.set(key, indexes);
  }
  for (const index of indexes) out.push(index);
}

/**
 * Returns the field that the routes' conditions test when every route tests that one field or
 * none; undefined when a route tests several fields or another one.
 */
function singleField(routes: readonly Route[]): string | undefined {
  let field: string | undefined;
  for (const route of routes) {
    const conditions = route.conditions;
    if (conditions === undefined || conditions.length > 1) return undefined;
    const condition = conditions[0];
    if (condition === undefined) continue;
    if (field !== undefined && condition.field !== field) return undefined;
    field = condition.field;
  }
  return field;
}

/**
 * The last value normalized for a condition and its normalized form. The routes of one channel
 * mostly test the same field (`EventID`), so an event's value is lower-cased once, not once
 * per route. Only primitives are kept, which compare by value.
 */
let lastFound: unknown;
let lastNormalized = '';

function meets(condition: Condition, found: unknown): boolean {
  if (found === undefined || found === null) return false;
  // A list field (the record types of a joined audit event) meets the condition when any
  // element does.
  if (Array.isArray(found)) return found.some((item) => meets(condition, item));
  if (found !== lastFound || typeof found === 'object') {
    lastNormalized = normalize(found);
    lastFound = found;
  }
  return condition.values.has(lastNormalized);
}

function applies(route: Route, event: Event): boolean {
  const conditions = route.conditions;
  if (conditions) {
    for (const condition of conditions) {
      if (!meets(condition, event.fields[condition.field])) return false;
    }
    return true;
  }
  if (route.service !== undefined && event.logsource.service?.toLowerCase() !== route.service) {
    return false;
  }
  return route.category === undefined || event.logsource.category?.toLowerCase() === route.category;
}
