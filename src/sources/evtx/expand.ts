import {
  NODE,
  type SubstitutionValue,
  type XmlAttribute,
  type XmlContent,
  type XmlElement,
  type XmlSubstitution,
} from './binxml.js';
import type { BinXmlReader } from './binxml-reader.js';
import { EVTX_CODES, EvtxParseError } from './parse-error.js';
import { renderValue, VALUE_TYPE } from './values.js';

/**
 * Expands a record's node tree into XML events for a sink. A template instance is replaced by
 * its definition with the instance's values substituted, and a BinXml value is parsed and
 * expanded in place. An attribute whose whole value is null (or empty, for an optional
 * substitution) is left out, as Windows leaves it out when it renders XML.
 */

/** Receives the expanded document in order, like a SAX handler. Text is unescaped. */
export interface XmlSink {
  startElement(name: string): void;
  attribute(name: string, value: string): void;
  text(value: string): void;
  cdata(value: string): void;
  entityReference(name: string): void;
  processingInstruction(target: string, data: string): void;
  endElement(): void;
}

/** Nodes one record may expand to; a real event expands to a few hundred. */
const MAX_EXPANDED_NODES = 200_000;

/** Template instances and BinXml values nested in each other, at most. */
const MAX_EXPANSION_DEPTH = 16;

/** Separator of the items of an array value in element or attribute text. */
const ARRAY_SEPARATOR = ', ';

const NO_VALUES: SubstitutionValue[] = [];

export class Expander {
  private nodes = 0;

  constructor(private readonly reader: BinXmlReader) {}

  /** Expands the content of one record into the sink. */
  expandRecord(content: XmlContent[], sink: XmlSink): void {
    this.nodes = 0;
    this.expandContent(content, NO_VALUES, sink, 0);
  }

  private expandContent(
    content: XmlContent[],
    values: SubstitutionValue[],
    sink: XmlSink,
    depth: number,
  ): void {
    this.nodes += content.length;
    if (this.nodes > MAX_EXPANDED_NODES) {
      throw new EvtxParseError(
        EVTX_CODES.tooComplex,
        `record expands to more than ${MAX_EXPANDED_NODES} XML nodes`,
        0,
      );
    }
    for (const node of content) {
      if (typeof node === 'string') {
        sink.text(node);
        continue;
      }
      switch (node.kind) {
        case NODE.element:
          this.expandElement(node, values, sink, depth);
          break;
        case NODE.substitution:
          this.expandSubstitution(node, values, sink, depth);
          break;
        case NODE.templateInstance:
          this.checkDepth(depth, node.values[0]?.start ?? 0);
          this.expandContent(node.template.content, node.values, sink, depth + 1);
          break;
        case NODE.cdata:
          sink.cdata(node.text);
          break;
        case NODE.processingInstruction:
          sink.processingInstruction(node.target, node.data);
          break;
        case NODE.entityReference:
          sink.entityReference(node.name);
          break;
      }
    }
  }

  private expandElement(
    element: XmlElement,
    values: SubstitutionValue[],
    sink: XmlSink,
    depth: number,
  ): void {
    sink.startElement(element.name);
    for (const attribute of element.attributes) {
      const text = this.attributeText(attribute, values, depth);
      if (text !== null) sink.attribute(attribute.name, text);
    }
    this.expandContent(element.content, values, sink, depth);
    sink.endElement();
  }

  private expandSubstitution(
    node: XmlSubstitution,
    values: SubstitutionValue[],
    sink: XmlSink,
    depth: number,
  ): void {
    const value = values[node.index];
    if (value === undefined) return;
    if (value.type === VALUE_TYPE.binXml) {
      this.checkDepth(depth, value.start);
      this.expandContent(this.reader.parseBinXmlValue(value), NO_VALUES, sink, depth + 1);
      return;
    }
    const text = this.valueText(value, depth);
    if (text !== null) sink.text(text);
  }

  /** The attribute's text, or null when it has no value and is left out. */
  private attributeText(
    attribute: XmlAttribute,
    values: SubstitutionValue[],
    depth: number,
  ): string | null {
    let text = '';
    let present = false;
    for (const part of attribute.value) {
      if (typeof part === 'string') {
        text += part;
        present = true;
      } else if (part.kind === NODE.substitution) {
        const value = values[part.index];
        const rendered = value === undefined ? null : this.valueText(value, depth);
        if (rendered === null || (part.optional && rendered === '')) continue;
        text += rendered;
        present = true;
      } else if (part.kind === NODE.entityReference) {
        text += `&${part.name};`;
        present = true;
      }
    }
    return present ? text : null;
  }

  private valueText(value: SubstitutionValue, depth: number): string | null {
    if (value.type === VALUE_TYPE.binXml) return this.binXmlText(value, depth);
    const rendered = renderValue(this.reader.chunk, value.type, value.start, value.size);
    if (rendered === null || typeof rendered === 'string') return rendered;
    return rendered.join(ARRAY_SEPARATOR);
  }

  /** Collects the character data of a BinXml value used where only text can go (an attribute). */
  private binXmlText(value: SubstitutionValue, depth: number): string {
    this.checkDepth(depth, value.start);
    let text = '';
    const collect: XmlSink = {
      startElement() {},
      attribute() {},
      text: (part) => {
        text += part;
      },
      cdata: (part) => {
        text += part;
      },
      entityReference: (name) => {
        text += `&${name};`;
      },
      processingInstruction() {},
      endElement() {},
    };
    this.expandContent(this.reader.parseBinXmlValue(value), NO_VALUES, collect, depth + 1);
    return text;
  }

  private checkDepth(depth: number, offset: number): void {
    if (depth >= MAX_EXPANSION_DEPTH) {
      throw new EvtxParseError(
        EVTX_CODES.tooComplex,
        `template instances and BinXml values nest deeper than ${MAX_EXPANSION_DEPTH} levels`,
        offset,
      );
    }
  }
}
