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

/** Mappings found per table and log source, for `mappingsForRule`. */
const selectedByTable = new WeakMap<readonly IndexedMapping[], Map<string, IndexedMapping[]>>();

/**
 * The mappings a rule is compiled against. A rule that names only a product uses that product's
 * catch-all mapping, so that it evaluates each event once. The list is computed once per table and
 * log source, because loading, the detector and the scan summary each look up every rule.
 * Callers share the list and must not change it, nor the table after the first call.
 */
export function mappingsForRule(
  rule: LogSource,
  table: readonly IndexedMapping[],
): readonly IndexedMapping[] {
  let selected = selectedByTable.get(table);
  if (!selected) {
    selected = new Map();
    selectedByTable.set(table, selected);
  }
  const key = JSON.stringify([rule.product, rule.service, rule.category]);
  let found = selected.get(key);
  if (!found) {
    found = selectMappings(rule, table);
    selected.set(key, found);
  }
  return found;
}

function selectMappings(rule: LogSource, table: readonly IndexedMapping[]): IndexedMapping[] {
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
 * The routes of one channel. Whether a route applies depends only on the values of the fields
 * its conditions test. So the indexes that apply are remembered per combination of those values
 * as the event has them, such as `EventID` 1, or `EventID` 12 with `EventType` CreateKey. An
 * event of a known combination pays one lookup per field and lower-cases nothing.
 */
interface ChannelRoutes {
  routes: Route[];
  /** The fields the routes test, in a fixed order. */
  fields: string[];
  /** Maps of one level per field, keyed by its value. The last level maps to the indexes. */
  known: Map<unknown, unknown>;
  /** Number of combinations in `known`. */
  remembered: number;
  /** Indexes of all routes and the product-wide mappings, when no route tests a field. */
  always: number[] | undefined;
}

/** Maximum combinations remembered per channel. An input with more tests the rest in turn. */
const MAX_REMEMBERED_VALUES = 4096;

/** Maximum channel names remembered as events write them. Others are lower-cased each time. */
const MAX_REMEMBERED_CHANNELS = 1024;

interface ProductRoutes {
  byChannel: Map<string, ChannelRoutes>;
  /** Routes by the channel as events write it, or null for a channel without routes. */
  byRawChannel: Map<string, ChannelRoutes | null>;
  /** The channel of the last event as it wrote it, and its routes. */
  lastChannel: string | undefined;
  lastRoutes: ChannelRoutes | undefined;
  /** Mappings without a channel that test the event's own log source. */
  other: Route[];
  /** Lists of `withOther`, by the channel's list (or `otherAlways`) and the mask of `other`. */
  withOther: Map<readonly number[], Map<number, number[]>>;
  withOtherCount: number;
  /** Indexes of the mappings without a channel that apply to every event of the product. */
  otherAlways: number[];
}

/**
 * Routes events to the mappings they belong to, indexed by product and Windows channel. The list
 * of each combination of tested values is kept, so an event of a known one allocates nothing.
 */
export class LogSourceRouter {
  private readonly byProduct = new Map<string, ProductRoutes>();
  /** The product of the last event as it wrote it, and its routes: events come in runs. */
  private lastProduct: string | undefined;
  private lastGroup: ProductRoutes | undefined;

  constructor(readonly table: readonly IndexedMapping[]) {
    for (const mapping of table) {
      const product = mapping.logsource.product.toLowerCase();
      let group = this.byProduct.get(product);
      if (!group) {
        group = {
          byChannel: new Map(),
          byRawChannel: new Map(),
          lastChannel: undefined,
          lastRoutes: undefined,
          other: [],
          otherAlways: [],
          withOther: new Map(),
          withOtherCount: 0,
        };
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
            fields: [],
            known: new Map(),
            remembered: 0,
            always: undefined,
          };
          list.routes.push(route);
          group.byChannel.set(key, list);
        }
      } else {
        group.other.push(compileRoute(mapping, undefined));
      }
    }
    for (const group of this.byProduct.values()) settleOther(group);
  }

  /** Indexes of the mappings the event belongs to, in `out`. */
  route(event: Event, out: number[]): void {
    out.length = 0;
    for (const index of this.routeList(event)) out.push(index);
  }

  /**
   * Indexes of the mappings the event belongs to. The list belongs to the router and must not
   * be changed. Events with the same log source and the same values of the tested fields, as
   * they write them, get the same array. The router keeps up to `MAX_REMEMBERED_VALUES` such
   * lists per channel and per product. So callers may keep what they derive from a list by it.
   */
  routeList(event: Event): readonly number[] {
    const group = this.groupOf(event.logsource.product);
    if (!group) return NO_INDEXES;
    const channel = event.fields.Channel;
    let found: readonly number[] | undefined;
    if (channel !== undefined && group.byChannel.size > 0) {
      const list = channelRoutes(group, channel);
      if (list) found = routeChannel(list, group, event);
    }
    const base = found ?? group.otherAlways;
    if (group.other.length === 0) return base;

    // Mappings whose service or category the event's own log source decides.
    if (group.other.length > MAX_TESTED_OTHER) {
      const out = [...base];
      for (const route of group.other) if (applies(route, event)) out.push(route.index);
      return out;
    }
    let applied = 0;
    for (let at = 0; at < group.other.length; at++) {
      if (applies(group.other[at] as Route, event)) applied |= 1 << at;
    }
    return withOther(group, base, applied);
  }

  private groupOf(product: string | undefined): ProductRoutes | undefined {
    if (product === undefined) return undefined;
    if (product === this.lastProduct) return this.lastGroup;
    const group = this.byProduct.get(product.toLowerCase());
    this.lastProduct = product;
    this.lastGroup = group;
    return group;
  }
}

const NO_INDEXES: readonly number[] = [];

/** Mappings without a channel that test the event, at most, for lists kept by a bit mask. */
const MAX_TESTED_OTHER = 30;

/**
 * Returns `base` with the indexes of the tested mappings whose bits `applied` sets, as one array
 * per base and mask, up to `MAX_REMEMBERED_VALUES` in the product.
 */
function withOther(group: ProductRoutes, base: readonly number[], applied: number): number[] {
  let byMask = group.withOther.get(base);
  const known = byMask?.get(applied);
  if (known !== undefined) return known;

  const list = [...base];
  group.other.forEach((route, at) => {
    if (applied & (1 << at)) list.push(route.index);
  });
  if (group.withOtherCount >= MAX_REMEMBERED_VALUES) return list;
  if (byMask === undefined) {
    byMask = new Map();
    group.withOther.set(base, byMask);
  }
  byMask.set(applied, list);
  group.withOtherCount++;
  return list;
}

/**
 * Splits a product's mappings without a channel into those that apply to all its events, such as
 * Windows as a whole, and those that test the event. The first join each channel's lists.
 */
function settleOther(group: ProductRoutes): void {
  const tested: Route[] = [];
  for (const route of group.other) {
    const always =
      route.conditions === undefined && route.service === undefined && route.category === undefined;
    if (always) group.otherAlways.push(route.index);
    else tested.push(route);
  }
  group.other = tested;
  for (const list of group.byChannel.values()) {
    list.fields = testedFields(list.routes);
    if (list.fields.length === 0) {
      list.always = [...list.routes.map((route) => route.index), ...group.otherAlways];
    }
  }
}

/** Finds the routes of a channel, remembering the channel as the event writes it. */
function channelRoutes(group: ProductRoutes, channel: unknown): ChannelRoutes | undefined {
  if (typeof channel !== 'string') return group.byChannel.get(normalize(channel));
  // Comparing with the last channel costs less than hashing a text that JSON parsing just made.
  if (channel === group.lastChannel) return group.lastRoutes;
  const known = group.byRawChannel.get(channel);
  let list: ChannelRoutes | undefined;
  if (known !== undefined) {
    list = known ?? undefined;
  } else {
    list = group.byChannel.get(channel.toLowerCase());
    if (group.byRawChannel.size < MAX_REMEMBERED_CHANNELS) {
      group.byRawChannel.set(channel, list ?? null);
    }
  }
  group.lastChannel = channel;
  group.lastRoutes = list;
  return list;
}

/** Returns the indexes of the channel's routes that apply to the event, and product-wide ones. */
function routeChannel(
  list: ChannelRoutes,
  group: ProductRoutes,
  event: Event,
): readonly number[] | undefined {
  const fields = list.fields;
  let level = list.known;
  let indexes = list.always;
  for (let at = 0; at < fields.length; at++) {
    const value = event.fields[fields[at] as string];
    // A list (the record types of a joined audit event) is tested route by route.
    if (value !== null && typeof value === 'object') {
      const out: number[] = [];
      applyEach(list.routes, event, out);
      return [...out, ...group.otherAlways];
    }
    const next = level.get(value);
    if (next === undefined) return remember(list, group, event, level, at);
    if (at === fields.length - 1) indexes = next as number[];
    else level = next as Map<unknown, unknown>;
  }
  return indexes;
}

function applyEach(routes: readonly Route[], event: Event, out: number[]): void {
  for (const route of routes) if (applies(route, event)) out.push(route.index);
}

/**
 * Computes the indexes that apply to the event, product-wide ones included, and stores them
 * under the event's values of `list.fields` from position `from` on, below `level`.
 */
function remember(
  list: ChannelRoutes,
  group: ProductRoutes,
  event: Event,
  level: Map<unknown, unknown>,
  from: number,
): number[] {
  const indexes: number[] = [];
  applyEach(list.routes, event, indexes);
  for (const index of group.otherAlways) indexes.push(index);
  if (list.remembered >= MAX_REMEMBERED_VALUES) return indexes;
  list.remembered++;
  const fields = list.fields;
  let current = level;
  for (let at = from; at < fields.length - 1; at++) {
    const next = new Map<unknown, unknown>();
    current.set(event.fields[fields[at] as string], next);
    current = next;
  }
  current.set(event.fields[fields[fields.length - 1] as string], indexes);
  return indexes;
}

/** Lists the fields that any of the routes' conditions test, in the order they first appear. */
function testedFields(routes: readonly Route[]): string[] {
  const fields: string[] = [];
  for (const route of routes) {
    for (const condition of route.conditions ?? []) {
      if (!fields.includes(condition.field)) fields.push(condition.field);
    }
  }
  return fields;
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
