import type { XmlSink } from './expand.js';

/**
 * Writes an expanded record as event XML text, without indentation: empty elements
 * self-closed, `&`, `<`, `>` escaped in text and `&`, `<`, `"` in attribute values. It serves
 * to inspect records and to check in tests that the XML source reads the rendering to the same
 * fields as the EVTX reader.
 */
export class XmlTextWriter implements XmlSink {
  private parts: string[] = [];
  private readonly names: string[] = [];
  private startTagOpen = false;

  startElement(name: string): void {
    this.closeStartTag();
    this.parts.push(`<${name}`);
    this.names.push(name);
    this.startTagOpen = true;
  }

  attribute(name: string, value: string): void {
    this.parts.push(` ${name}="${escapeAttribute(value)}"`);
  }

  text(value: string): void {
    if (value === '') return;
    this.closeStartTag();
    this.parts.push(escapeText(value));
  }

  cdata(value: string): void {
    this.closeStartTag();
    this.parts.push(`<![CDATA[${value}]]>`);
  }

  entityReference(name: string): void {
    this.closeStartTag();
    this.parts.push(`&${name};`);
  }

  processingInstruction(target: string, data: string): void {
    this.closeStartTag();
    this.parts.push(`<?${target} ${data}?>`);
  }

  endElement(): void {
    const name = this.names.pop();
    if (this.startTagOpen) {
      this.parts.push('/>');
      this.startTagOpen = false;
    } else {
      this.parts.push(`</${name}>`);
    }
  }

  /** Returns the XML written so far and starts over. */
  take(): string {
    const xml = this.parts.join('');
    this.parts = [];
    this.names.length = 0;
    this.startTagOpen = false;
    return xml;
  }

  private closeStartTag(): void {
    if (!this.startTagOpen) return;
    this.parts.push('>');
    this.startTagOpen = false;
  }
}

function escapeText(value: string): string {
  return value.replace(/[&<>]/g, (character) => ESCAPES[character] as string);
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<"]/g, (character) => ESCAPES[character] as string);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
