import type { XmlSink } from './expand.js';

/**
 * Builds, from an expanded record, the same object tree that the Windows XML source gets from
 * fast-xml-parser, so that both sources share the readers of `System`, `EventData` and
 * `UserData` and give the same fields for the same event. An element with neither attributes
 * nor child elements becomes its text (`''` when empty). Any other element becomes an object
 * with `@name` attribute keys, child elements by name and `#text` when it has text. A child
 * name that repeats gives an array, and `Data` always does. Namespace prefixes are dropped and
 * `xmlns` attributes left out, as the XML source's parser options do.
 */

interface Frame {
  name: string;
  node: Record<string, unknown> | undefined;
  text: string;
}

const ALWAYS_ARRAY = 'Data';

/** Distinct names kept in each cache; real logs use a few hundred. */
const MAX_CACHED_NAMES = 4096;

export class EventTreeBuilder implements XmlSink {
  /** Top-level elements of the record, by name. */
  root: Record<string, unknown> = {};
  private readonly stack: Frame[] = [];
  private depth = 0;
  /** Element names without prefix, and attribute keys (null for xmlns), by written name. */
  private readonly elementNames = new Map<string, string>();
  private readonly attributeKeys = new Map<string, string | null>();

  reset(): void {
    this.root = {};
    this.depth = 0;
    // Damaged or hostile files could hold any number of distinct names.
    if (this.elementNames.size > MAX_CACHED_NAMES) this.elementNames.clear();
    if (this.attributeKeys.size > MAX_CACHED_NAMES) this.attributeKeys.clear();
  }

  startElement(name: string): void {
    let local = this.elementNames.get(name);
    if (local === undefined) {
      local = localName(name);
      this.elementNames.set(name, local);
    }
    // Frames are reused from record to record, which saves an allocation per element.
    const frame = this.stack[this.depth];
    if (frame) {
      frame.name = local;
      frame.node = undefined;
      frame.text = '';
    } else {
      this.stack.push({ name: local, node: undefined, text: '' });
    }
    this.depth++;
  }

  attribute(name: string, value: string): void {
    let key = this.attributeKeys.get(name);
    if (key === undefined) {
      key = name === 'xmlns' || name.startsWith('xmlns:') ? null : `@${localName(name)}`;
      this.attributeKeys.set(name, key);
    }
    const frame = this.stack[this.depth - 1];
    if (key === null || !frame) return;
    frame.node ??= {};
    frame.node[key] = value;
  }

  text(value: string): void {
    const frame = this.stack[this.depth - 1];
    if (frame) frame.text += value;
  }

  cdata(value: string): void {
    this.text(value);
  }

  entityReference(name: string): void {
    this.text(`&${name};`);
  }

  processingInstruction(): void {}

  endElement(): void {
    if (this.depth === 0) return;
    const frame = this.stack[--this.depth] as Frame;
    let value: unknown = frame.text;
    if (frame.node) {
      if (frame.text !== '') frame.node['#text'] = frame.text;
      value = frame.node;
    }

    const parent = this.depth > 0 ? this.stack[this.depth - 1] : undefined;
    let container = this.root;
    if (parent) {
      parent.node ??= {};
      container = parent.node;
    }
    appendChild(container, frame.name, value);
  }
}

function appendChild(container: Record<string, unknown>, name: string, value: unknown): void {
  // An element called __proto__ would replace the object's prototype: it is dropped.
  if (name === '__proto__') return;
  const existing = Object.hasOwn(container, name) ? container[name] : undefined;
  if (existing === undefined) {
    container[name] = name === ALWAYS_ARRAY ? [value] : value;
  } else if (Array.isArray(existing)) {
    existing.push(value);
  } else {
    container[name] = [existing, value];
  }
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}
