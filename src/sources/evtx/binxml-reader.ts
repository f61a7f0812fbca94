import {
  NODE,
  PREDEFINED_ENTITIES,
  type SubstitutionValue,
  type TemplateDefinition,
  TOKEN,
  type XmlAttribute,
  type XmlContent,
  type XmlElement,
  type XmlTemplateInstance,
} from './binxml.js';
import { EVTX_CODES, EvtxParseError } from './parse-error.js';
import { formatGuid } from './values.js';

/**
 * Parses the Binary XML of one chunk into node trees. Names and template definitions are
 * stored once per chunk and referred to by their chunk offset, so both are cached by offset
 * until the next chunk starts. Every offset is checked against the chunk's readable length,
 * and nesting is limited, so damaged bytes raise an EvtxParseError instead of reading out of
 * bounds or recursing without end.
 */

/** Deepest element and template nesting accepted; real events nest about 6 levels. */
const MAX_NESTING = 64;

/** Read position in one token sequence: a record's event data, a definition or a BinXml value. */
interface Cursor {
  position: number;
  end: number;
  /** Substitution tokens are valid only inside a template definition. */
  inTemplate: boolean;
  /** Element start tags carry a 2-byte dependency id, except inside BinXml values. */
  dependencyIds: boolean;
}

const EMPTY = Buffer.alloc(0);

export class BinXmlReader {
  private buffer: Buffer = EMPTY;
  private length = 0;
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, TemplateDefinition | EvtxParseError>();
  private readonly definitionsInProgress = new Set<number>();
  private nesting = 0;

  /** Starts a chunk: `length` bytes of `buffer` are readable; the caches are cleared. */
  startChunk(buffer: Buffer, length: number): void {
    this.buffer = buffer;
    this.length = length;
    this.names.clear();
    this.templates.clear();
    this.definitionsInProgress.clear();
  }

  /** The chunk's bytes, for rendering substitution values. */
  get chunk(): Buffer {
    return this.buffer;
  }

  /** Parses a record's event data, from `start` to `end` (chunk offsets). */
  parseRecord(start: number, end: number): XmlContent[] {
    this.nesting = 0;
    return this.parseFragment({ position: start, end, inTemplate: false, dependencyIds: true });
  }

  /** Parses the nested fragment of a BinXml substitution value. */
  parseBinXmlValue(value: SubstitutionValue): XmlContent[] {
    this.nesting = 0;
    const cursor = { position: value.start, end: value.start + value.size, inTemplate: false };
    return this.parseFragment({ ...cursor, dependencyIds: false });
  }

  private parseFragment(cursor: Cursor): XmlContent[] {
    const content: XmlContent[] = [];
    while (cursor.position < cursor.end) {
      const token = this.buffer[cursor.position] as number;
      const base = token & ~TOKEN.moreBit;

      if (base === TOKEN.fragmentHeader) {
        this.need(cursor, 4);
        cursor.position += 4;
      } else if (base === TOKEN.endOfFragment) {
        cursor.position++;
        return this.parseFurtherFragment(cursor, content);
      } else if (base === TOKEN.openStartElement) {
        content.push(this.parseElement(cursor, token));
      } else {
        this.parseCharacterData(cursor, base, content, 'fragment');
      }
    }
    return content;
  }

  /**
   * Appends a fragment that follows the end of the first one. Some writers put several
   * fragments in one BinXml value, but the bytes after a record's fragment are often slack
   * left over from an earlier record that can look like a fragment header. So a further
   * fragment counts only if it parses to the end.
   */
  private parseFurtherFragment(cursor: Cursor, content: XmlContent[]): XmlContent[] {
    const at = cursor.position;
    const header =
      at + 4 <= cursor.end &&
      this.buffer[at] === TOKEN.fragmentHeader &&
      this.buffer[at + 1] === 1 &&
      this.buffer[at + 2] === 1;
    if (!header) return content;
    const nesting = this.nesting;
    try {
      const further = this.parseFragment({ ...cursor });
      return further.length > 0 ? content.concat(further) : content;
    } catch {
      this.nesting = nesting;
      return content;
    }
  }

  private parseElement(cursor: Cursor, token: number): XmlElement {
    const start = cursor.position;
    if (++this.nesting > MAX_NESTING) {
      throw new EvtxParseError(
        EVTX_CODES.tooComplex,
        `elements nest deeper than ${MAX_NESTING} levels`,
        start,
      );
    }
    const dependencyId = this.hasDependencyId(cursor);
    this.need(cursor, (dependencyId ? 3 : 1) + 8);
    cursor.position += dependencyId ? 3 : 1;
    cursor.position += 4; // data size: the tokens are read instead
    const name = this.readNameReference(cursor);
    if (token & TOKEN.moreBit) {
      this.need(cursor, 4);
      cursor.position += 4; // attribute list size
    }
    const element: XmlElement = { kind: NODE.element, name, attributes: [], content: [] };

    while (cursor.position < cursor.end) {
      const next = (this.buffer[cursor.position] as number) & ~TOKEN.moreBit;
      if (next !== TOKEN.attribute) break;
      cursor.position++;
      const attribute: XmlAttribute = { name: this.readNameReference(cursor), value: [] };
      this.parseAttributeValue(cursor, attribute.value);
      element.attributes.push(attribute);
    }

    this.need(cursor, 1);
    const close = this.buffer[cursor.position];
    cursor.position++;
    if (close === TOKEN.closeStartElement) this.parseElementContent(cursor, element);
    else if (close !== TOKEN.closeEmptyElement) {
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `start tag of <${name}> ends with token 0x${hexByte(close)} instead of 0x02 or 0x03`,
        cursor.position - 1,
      );
    }
    this.nesting--;
    return element;
  }

  /**
   * Tells whether the start tag at the cursor has the 2-byte dependency id before its data
   * size. Windows writes it everywhere but in BinXml values, yet some tools that write EVTX
   * leave it out. So the layout whose name offset leads to a valid name (with a matching hash)
   * wins, and the usual layout wins when both or neither do.
   */
  private hasDependencyId(cursor: Cursor): boolean {
    const usual = cursor.dependencyIds;
    const start = cursor.position;
    if (this.validNameField(cursor, start + (usual ? 7 : 5))) return usual;
    return this.validNameField(cursor, start + (usual ? 5 : 7)) ? !usual : usual;
  }

  private validNameField(cursor: Cursor, field: number): boolean {
    if (field + 4 > cursor.end) return false;
    const offset = this.buffer.readUInt32LE(field);
    if (offset !== field + 4 && offset >= field) return false;
    if (this.names.has(offset)) return true;
    if (offset + 8 > this.length) return false;
    const characters = this.buffer.readUInt16LE(offset + 6);
    const end = offset + 8 + characters * 2;
    if (end + 2 > this.length) return false;
    let hash = 0;
    for (let position = offset + 8; position < end; position += 2) {
      hash = (Math.imul(hash, 65599) + this.buffer.readUInt16LE(position)) >>> 0;
    }
    return (hash & 0xffff) === this.buffer.readUInt16LE(offset + 4);
  }

  private parseAttributeValue(cursor: Cursor, value: XmlContent[]): void {
    while (cursor.position < cursor.end) {
      const base = (this.buffer[cursor.position] as number) & ~TOKEN.moreBit;
      const isValuePart =
        base === TOKEN.value ||
        base === TOKEN.normalSubstitution ||
        base === TOKEN.optionalSubstitution ||
        base === TOKEN.charReference ||
        base === TOKEN.entityReference;
      if (!isValuePart) return;
      this.parseCharacterData(cursor, base, value, 'attribute');
    }
  }

  private parseElementContent(cursor: Cursor, element: XmlElement): void {
    while (true) {
      this.need(cursor, 1);
      const token = this.buffer[cursor.position] as number;
      const base = token & ~TOKEN.moreBit;
      if (base === TOKEN.endElement) {
        cursor.position++;
        return;
      }
      if (base === TOKEN.openStartElement) {
        element.content.push(this.parseElement(cursor, token));
        continue;
      }
      if (base === TOKEN.endOfFragment) {
        throw new EvtxParseError(
          EVTX_CODES.invalidBinXml,
          `fragment ends inside <${element.name}>`,
          cursor.position,
        );
      }
      this.parseCharacterData(cursor, base, element.content, element.name);
    }
  }

  /** Parses one token of text, reference, substitution, instance or processing instruction. */
  private parseCharacterData(
    cursor: Cursor,
    base: number,
    into: XmlContent[],
    where: string,
  ): void {
    const start = cursor.position;
    switch (base) {
      case TOKEN.value:
        into.push(this.parseValueText(cursor));
        return;
      case TOKEN.cdataSection:
        cursor.position++;
        into.push({ kind: NODE.cdata, text: this.readLengthPrefixedText(cursor) });
        return;
      case TOKEN.charReference:
        this.need(cursor, 3);
        into.push(String.fromCharCode(this.buffer.readUInt16LE(start + 1)));
        cursor.position += 3;
        return;
      case TOKEN.entityReference: {
        cursor.position++;
        const name = this.readNameReference(cursor);
        const text = PREDEFINED_ENTITIES[name];
        into.push(text ?? { kind: NODE.entityReference, name });
        return;
      }
      case TOKEN.piTarget:
        into.push(this.parseProcessingInstruction(cursor));
        return;
      case TOKEN.templateInstance:
        into.push(this.parseTemplateInstance(cursor));
        return;
      case TOKEN.normalSubstitution:
      case TOKEN.optionalSubstitution:
        if (!cursor.inTemplate) {
          throw new EvtxParseError(
            EVTX_CODES.invalidBinXml,
            'substitution token outside a template definition',
            start,
          );
        }
        this.need(cursor, 4);
        into.push({
          kind: NODE.substitution,
          index: this.buffer.readUInt16LE(start + 1),
          optional: base === TOKEN.optionalSubstitution,
        });
        cursor.position += 4;
        return;
      default:
        throw new EvtxParseError(
          EVTX_CODES.invalidBinXml,
          `unexpected token 0x${hexByte(this.buffer[start])} in ${where}`,
          start,
        );
    }
  }

  private parseValueText(cursor: Cursor): string {
    this.need(cursor, 2);
    const type = this.buffer[cursor.position + 1];
    cursor.position += 2;
    if (type !== 0x01) {
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `value token of type 0x${hexByte(type)}; only strings (0x01) are defined`,
        cursor.position - 1,
      );
    }
    return this.readLengthPrefixedText(cursor);
  }

  private parseProcessingInstruction(cursor: Cursor): XmlContent {
    cursor.position++;
    const target = this.readNameReference(cursor);
    this.need(cursor, 1);
    if (this.buffer[cursor.position] !== TOKEN.piData) {
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `processing instruction target ${target} is not followed by its data token`,
        cursor.position,
      );
    }
    cursor.position++;
    return { kind: NODE.processingInstruction, target, data: this.readLengthPrefixedText(cursor) };
  }

  private parseTemplateInstance(cursor: Cursor): XmlTemplateInstance {
    const start = cursor.position;
    this.need(cursor, 10);
    const definitionOffset = this.buffer.readUInt32LE(start + 6);
    cursor.position += 10;

    // A definition stored right here is inline; otherwise it was stored by an earlier record.
    if (definitionOffset === cursor.position) {
      this.need(cursor, 24);
      const size = this.buffer.readUInt32LE(cursor.position + 20);
      this.need(cursor, 24 + size);
      cursor.position += 24 + size;
    }
    const template = this.templateAt(definitionOffset, start);

    this.need(cursor, 4);
    const count = this.buffer.readUInt32LE(cursor.position);
    cursor.position += 4;
    if (count * 4 > cursor.end - cursor.position) {
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `template instance declares ${count} values, more than its bytes can hold`,
        start,
      );
    }
    const values: SubstitutionValue[] = new Array(count);
    let valueStart = cursor.position + count * 4;
    for (let index = 0; index < count; index++) {
      const size = this.buffer.readUInt16LE(cursor.position + index * 4);
      const type = this.buffer[cursor.position + index * 4 + 2] as number;
      values[index] = { type, start: valueStart, size };
      valueStart += size;
    }
    if (valueStart > cursor.end) {
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `template instance values end at ${valueStart}, past the end of their data at ${cursor.end}`,
        start,
      );
    }
    cursor.position = valueStart;
    return { kind: NODE.templateInstance, template, values };
  }

  private templateAt(offset: number, referencedAt: number): TemplateDefinition {
    const cached = this.templates.get(offset);
    if (cached instanceof EvtxParseError) throw cached;
    if (cached) return cached;
    if (this.definitionsInProgress.has(offset)) {
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `template definition at ${offset} refers to itself`,
        referencedAt,
      );
    }

    this.definitionsInProgress.add(offset);
    try {
      const header = { position: offset, end: this.length, inTemplate: true, dependencyIds: true };
      this.need(header, 24);
      const size = this.buffer.readUInt32LE(offset + 20);
      this.need(header, 24 + size);
      const body = { ...header, position: offset + 24, end: offset + 24 + size };
      const content = this.parseFragment(body);
      const definition = { offset, guid: formatGuid(this.buffer, offset + 4), content };
      this.templates.set(offset, definition);
      return definition;
    } catch (error) {
      if (error instanceof EvtxParseError) this.templates.set(offset, error);
      throw error;
    } finally {
      this.definitionsInProgress.delete(offset);
    }
  }

  /** Reads a name offset; a name stored right after it is inline and is skipped over. */
  private readNameReference(cursor: Cursor): string {
    this.need(cursor, 4);
    const offset = this.buffer.readUInt32LE(cursor.position);
    cursor.position += 4;
    const name = this.nameAt(offset, cursor.position - 4);
    if (offset === cursor.position) {
      this.need(cursor, 10 + name.length * 2);
      cursor.position += 10 + name.length * 2;
    }
    return name;
  }

  /** Reads the name at `offset`: next-name offset (4 bytes), hash (2), length (2), UTF-16LE, NUL. */
  private nameAt(offset: number, referencedAt: number): string {
    const cached = this.names.get(offset);
    if (cached !== undefined) return cached;
    if (offset + 8 > this.length) {
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `name offset ${offset} is outside the chunk`,
        referencedAt,
      );
    }
    const characters = this.buffer.readUInt16LE(offset + 6);
    const end = offset + 8 + characters * 2;
    if (end + 2 > this.length) {
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `name at offset ${offset} of ${characters} characters runs past the chunk`,
        referencedAt,
      );
    }
    const name = this.buffer.toString('utf16le', offset + 8, end);
    this.names.set(offset, name);
    return name;
  }

  private readLengthPrefixedText(cursor: Cursor): string {
    this.need(cursor, 2);
    const characters = this.buffer.readUInt16LE(cursor.position);
    this.need(cursor, 2 + characters * 2);
    const text = this.buffer.toString(
      'utf16le',
      cursor.position + 2,
      cursor.position + 2 + characters * 2,
    );
    cursor.position += 2 + characters * 2;
    return text;
  }

  private need(cursor: Cursor, bytes: number): void {
    if (cursor.position + bytes > cursor.end || cursor.position + bytes > this.length) {
      throw new EvtxParseError(
        EVTX_CODES.invalidBinXml,
        `Binary XML needs ${bytes} bytes at offset ${cursor.position} but its data ends at ${Math.min(cursor.end, this.length)}`,
        cursor.position,
      );
    }
  }
}

function hexByte(value: number | undefined): string {
  return (value ?? 0).toString(16).padStart(2, '0');
}
