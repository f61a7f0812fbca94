import type { XmlSink } from './expand.js';

/**
 * Builds, from an expanded record, the same object tree that the Windows XML source gets from
 * fast-xml-parser, so that both sources share the readers of `System`, `EventData` and
 * `UserData` and give the same fields for the same event. The shape: an element with neither
 * attributes nor child elements is its text (`''` when empty); any other element is an object
 * with `@name` attribute keys, child elements by name (an array when a name repeats, and always
 * for `Data`), and `#text` when it has text. Namespace prefixes are dropped and `xmlns`
 * attributes left out, as the XML source's parser options do.
 */

interface Frame {
  name: string;
  node: Record<string, unknown> | undefined;
  text: string;
}

const ALWAYS_ARRAY = 'Data';

export class EventTreeBuilder implements XmlSink {
  /** Top-level elements of the record, by name. */
  root: Record<string, unknown> = {};
  private readonly stack: Frame[] = [];

  reset(): void {
    this.root = {};
    this.stack.length = 0;
  }

  startElement(name: string): void {
    this.stack.push({ name: localName(name), node: undefined, text: '' });
  }

  attribute(name: string, value: string): void {
    if (name === 'xmlns' || name.startsWith('xmlns:')) return;
    const frame = this.stack[this.stack.length - 1];
    if (!frame) return;
    frame.node ??= {};
    frame.node[`@${localName(name)}`] = value;
  }

  text(value: string): void {
    const frame = this.stack[this.stack.length - 1];
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
    const frame = this.stack.pop();
    if (!frame) return;
    let value: unknown = frame.text;
    if (frame.node) {
      if (frame.text !== '') frame.node['#text'] = frame.text;
      value = frame.node;
    }

    const parent = this.stack[this.stack.length - 1];
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
  const existing = container[name];
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
