import { BinXmlReader } from '../../src/sources/evtx/binxml-reader.js';
import { Expander } from '../../src/sources/evtx/expand.js';
import { XmlTextWriter } from '../../src/sources/evtx/render-xml.js';

/**
 * Helpers to compare the EVTX reader with other renderings of the same events. Each tool
 * writes some values its own way: GUIDs in upper or lower case, with or without braces; hex
 * numbers padded to their type's width or not; times with 6, 7 or 9 fraction digits; CR LF or
 * LF line ends; trailing whitespace kept or trimmed. `normalizeValue` removes exactly those
 * differences and keeps every other one.
 */

export interface Normalization {
  /** Number of fraction digits times are cut or padded to. */
  fractionDigits: number;
  /** Trims trailing whitespace, for exports that trim it. */
  trimEnd?: boolean;
}

const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
const HEX = /^0x([0-9a-f]+)$/i;
const TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/;

export function normalizeValue(value: unknown, options: Normalization): unknown {
  if (Array.isArray(value)) return value.map((item) => normalizeValue(item, options));
  if (value === null || value === undefined) return value;
  let text = String(value).replace(/\r\n/g, '\n');
  if (options.trimEnd) text = text.trimEnd();

  const guid = GUID.exec(text);
  if (guid) return `{${guid[1]?.toLowerCase()}}`;
  const hex = HEX.exec(text);
  if (hex) return `0x${(hex[1] ?? '').replace(/^0+(?=.)/, '').toLowerCase()}`;
  const time = TIME.exec(text);
  if (time) {
    const fraction = (time[2] ?? '').padEnd(options.fractionDigits, '0');
    return `${time[1]}.${fraction.slice(0, options.fractionDigits)}Z`;
  }
  return text;
}

/** Lists the fields whose normalized values differ, as `name: ours | theirs`. */
export function fieldDifferences(
  ours: Record<string, unknown>,
  theirs: Record<string, unknown>,
  options: Normalization & { ignore?: readonly string[] },
): string[] {
  const differences: string[] = [];
  const names = new Set([...Object.keys(ours), ...Object.keys(theirs)]);
  for (const name of names) {
    if (options.ignore?.includes(name)) continue;
    const left = normalizeValue(ours[name], options);
    const right = normalizeValue(theirs[name], options);
    if (JSON.stringify(left) !== JSON.stringify(right)) {
      differences.push(`${name}: ${JSON.stringify(ours[name])} | ${JSON.stringify(theirs[name])}`);
    }
  }
  return differences;
}

const CHUNK_SIZE = 65536;

/**
 * Renders every record of an EVTX file (records up to each chunk's free-space offset) as event
 * XML, in file order, with the reader's own parser and the XML writer.
 */
export function renderRecordsAsXml(file: Buffer): string[] {
  const documents: string[] = [];
  const reader = new BinXmlReader();
  const expander = new Expander(reader);
  const writer = new XmlTextWriter();
  for (let start = 4096; start + CHUNK_SIZE <= file.length; start += CHUNK_SIZE) {
    const chunk = file.subarray(start, start + CHUNK_SIZE);
    if (chunk.toString('latin1', 0, 7) !== 'ElfChnk') continue;
    reader.startChunk(chunk, CHUNK_SIZE);
    const freeSpace = chunk.readUInt32LE(48);
    let offset = 512;
    while (offset + 24 <= freeSpace && chunk.readUInt32LE(offset) === 0x2a2a) {
      const size = chunk.readUInt32LE(offset + 4);
      expander.expandRecord(reader.parseRecord(offset + 24, offset + size - 4), writer);
      documents.push(writer.take());
      offset += size;
    }
  }
  return documents;
}
