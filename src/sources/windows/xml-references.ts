/**
 * Decodes the references of XML 1.0 character data: the five predefined entities and numeric
 * character references (`&#x41;`, `&#66;`), in one pass, so that `&amp;#65;` stays the text
 * `&#65;`. A reference to a code point that XML does not allow (`&#0;`, a lone surrogate) and
 * any other named entity are kept as written, so that no character of the value is lost.
 */

const REFERENCE = /&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(amp|lt|gt|quot|apos));/g;

const PREDEFINED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

export function decodeXmlReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (reference, hex?: string, decimal?: string, name?: string) => {
    if (name !== undefined) return PREDEFINED[name] as string;
    const code = hex !== undefined ? Number.parseInt(hex, 16) : Number(decimal);
    return isXmlChar(code) ? String.fromCodePoint(code) : reference;
  });
}

/** The `Char` production of XML 1.0 (section 2.2). */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/**
 * The entity decoder that fast-xml-parser calls for text and attribute values (not for CDATA).
 * Entities a document declares in its DOCTYPE are ignored, so that they are never expanded.
 */
export const xmlReferenceDecoder = {
  setExternalEntities(): void {},
  addInputEntities(): void {},
  reset(): void {},
  setXmlVersion(): void {},
  decode: decodeXmlReferences,
};
