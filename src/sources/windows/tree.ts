import type { WindowsSystem } from './fields.js';

/**
 * Reading of the `<Event>` tree as both XML parsers and EVTX dumpers give it: attributes either
 * as `@Name` keys (XML) or under `#attributes` (EVTX-to-JSON dumpers), element text either as
 * the value itself or under `#text`.
 */

type Node = unknown;

function isObject(value: Node): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function attribute(node: Node, name: string): string | number | undefined {
  if (!isObject(node)) return undefined;
  const direct = node[`@${name}`];
  if (direct !== undefined) return direct as string | number;
  const attributes = node['#attributes'];
  if (isObject(attributes) && attributes[name] !== undefined) {
    return attributes[name] as string | number;
  }
  return undefined;
}

/** The text of an element: a scalar as it is, `#text` of an element with attributes, or ''. */
export function elementText(node: Node): string | number | boolean | null | undefined {
  if (node === undefined) return undefined;
  if (node === null) return null;
  if (typeof node !== 'object') return node as string | number | boolean;
  if (Array.isArray(node)) return node.map((item) => elementText(item)).join('');
  const value = (node as Record<string, unknown>)['#text'];
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.join('');
  return value as string | number;
}

export function readSystem(system: Node): WindowsSystem {
  if (!isObject(system)) return {};
  const result: WindowsSystem = {};
  const set = <K extends keyof WindowsSystem>(key: K, value: unknown): void => {
    if (value !== undefined && value !== null && value !== '') {
      result[key] = value as WindowsSystem[K];
    }
  };

  set('providerName', attribute(system.Provider, 'Name'));
  set('providerGuid', attribute(system.Provider, 'Guid'));
  set('eventSourceName', attribute(system.Provider, 'EventSourceName'));
  set('eventId', elementText(system.EventID));
  set('qualifiers', attribute(system.EventID, 'Qualifiers'));
  for (const [key, name] of [
    ['version', 'Version'],
    ['level', 'Level'],
    ['task', 'Task'],
    ['opcode', 'Opcode'],
    ['keywords', 'Keywords'],
    ['eventRecordId', 'EventRecordID'],
    ['channel', 'Channel'],
    ['computer', 'Computer'],
  ] as const) {
    set(key, elementText(system[name]));
  }
  set('timeCreated', attribute(system.TimeCreated, 'SystemTime'));
  set('activityId', attribute(system.Correlation, 'ActivityID'));
  set('relatedActivityId', attribute(system.Correlation, 'RelatedActivityID'));
  set('processId', attribute(system.Execution, 'ProcessID'));
  set('threadId', attribute(system.Execution, 'ThreadID'));
  set('userId', attribute(system.Security, 'UserID'));
  return result;
}

/**
 * Reads EventData: named `<Data>` values under their names, unnamed ones as `Data` (a string,
 * or a list when there are several), `<Binary>` as `Binary`. Dumpers that already turned
 * EventData into a name → value map are read as they are.
 */
export function readEventData(eventData: Node): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObject(eventData)) return out;
  const unnamed: unknown[] = [];

  for (const [key, value] of Object.entries(eventData)) {
    if (key === '#attributes' || key.startsWith('@') || key === '#text') continue;
    if (key === 'Data') {
      readDataElements(value, out, unnamed);
      continue;
    }
    out[key] = isObject(value) ? elementText(value) : value;
  }

  if (unnamed.length === 1) out.Data = unnamed[0];
  else if (unnamed.length > 1) out.Data = unnamed;
  return out;
}

function readDataElements(value: Node, out: Record<string, unknown>, unnamed: unknown[]): void {
  const items = Array.isArray(value) ? value : [value];
  for (const item of items) {
    const name = attribute(item, 'Name');
    if (name !== undefined) {
      out[String(name)] = elementText(item);
      continue;
    }
    // Dumpers write unnamed data as {"#text": [..]} or as plain values.
    if (isObject(item) && Array.isArray(item['#text']))
      unnamed.push(...(item['#text'] as unknown[]));
    else unnamed.push(elementText(item));
  }
}

/**
 * Flattens UserData: the leaves of its one child element under their own tag names, the first
 * of equal names winning. Attributes of the child become fields too.
 */
export function readUserData(userData: Node): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObject(userData)) return out;
  for (const [key, child] of Object.entries(userData)) {
    if (key.startsWith('@') || key === '#attributes' || key === '#text') continue;
    collectLeaves(child, out, 0);
  }
  return out;
}

const MAX_USER_DATA_DEPTH = 16;

function collectLeaves(node: Node, out: Record<string, unknown>, depth: number): void {
  if (!isObject(node) || depth > MAX_USER_DATA_DEPTH) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '#text') continue;
    if (key === '#attributes') {
      if (isObject(value)) {
        for (const [name, attr] of Object.entries(value)) if (!(name in out)) out[name] = attr;
      }
      continue;
    }
    const name = key.startsWith('@') ? key.slice(1) : key;
    if (name === 'xmlns') continue;
    if (isObject(value) && !hasOnlyText(value)) {
      collectLeaves(value, out, depth + 1);
    } else if (!(name in out)) {
      out[name] = Array.isArray(value)
        ? value.map((item) => elementText(item))
        : elementText(value);
    }
  }
}

function hasOnlyText(node: Record<string, unknown>): boolean {
  return Object.keys(node).every((key) => key === '#text' || key.startsWith('@'));
}
