import type { Placeholders } from './placeholders.js';
import { hasWildcards, parseSigmaString, type Token, tokensToText } from './values.js';

/**
 * Value transformations of Sigma modifiers, applied in the order the rule writes them
 * (`wide|base64offset|contains` encodes as UTF-16LE first, then as Base64 at every offset).
 */

export type SigmaValue =
  /** A string; `raw` is the text as written, which `|re` reads without wildcard escapes. */
  | { kind: 'pattern'; tokens: Token[]; raw?: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

export type Transform = (values: SigmaValue[], placeholders: Placeholders) => SigmaValue[] | string;

function bytesOf(value: SigmaValue, modifier: string): Uint8Array | string {
  if (value.kind === 'bytes') return value.bytes;
  if (value.kind === 'pattern') {
    if (hasWildcards(value.tokens)) return `|${modifier} cannot encode a value with wildcards`;
    return Buffer.from(tokensToText(value.tokens), 'utf8');
  }
  if (value.kind === 'number') return Buffer.from(value.text, 'utf8');
  return `|${modifier} needs a string value`;
}

function literal(text: string): SigmaValue {
  return { kind: 'pattern', tokens: text.length === 0 ? [] : [{ kind: 'text', text }] };
}

function mapBytes(
  values: SigmaValue[],
  modifier: string,
  encode: (bytes: Uint8Array) => SigmaValue[],
): SigmaValue[] | string {
  const out: SigmaValue[] = [];
  for (const value of values) {
    const bytes = bytesOf(value, modifier);
    if (typeof bytes === 'string') return bytes;
    out.push(...encode(bytes));
  }
  return out;
}

function utf16(bytes: Uint8Array, bigEndian: boolean, bom: boolean): Uint8Array {
  const text = Buffer.from(bytes).toString('utf8');
  const encoded = Buffer.from(text, 'utf16le');
  if (bigEndian) encoded.swap16();
  if (!bom) return encoded;
  return Buffer.concat([Buffer.from(bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]), encoded]);
}

/**
 * The three Base64 renderings of a value that may start at byte offset 0, 1 or 2 of the encoded
 * data, each cut to the characters that do not depend on the neighbouring bytes.
 */
export function base64Offsets(bytes: Uint8Array): string[] {
  const startCut = [0, 2, 3];
  const endCut = [0, 3, 2];
  const results: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift, 0x20), Buffer.from(bytes)]);
    const encoded = padded.toString('base64');
    const end = endCut[(bytes.length + shift) % 3] as number;
    results.push(encoded.slice(startCut[shift], end === 0 ? undefined : encoded.length - end));
  }
  return results;
}

const WINDASH_CHARS = ['-', '/', '\u2013', '\u2014', '\u2015'];
const WORD_CHAR = /[A-Za-z0-9_]/;
/** Above this many variants windash uses a character class instead of separate values. */
const WINDASH_EXPANSION_LIMIT = 25;

/**
 * `windash`: a `-` or `/` that starts a word (nothing word-like before it, a word character
 * after it) may be any of the dash variants Windows accepts for command-line flags.
 */
function windash(values: SigmaValue[]): SigmaValue[] | string {
  const out: SigmaValue[] = [];
  for (const value of values) {
    if (value.kind !== 'pattern') return '|windash needs a string value';
    const tokens = markDashes(value.tokens);
    const dashes = tokens.filter((token) => token.kind === 'class').length;
    if (dashes === 0) {
      out.push(value);
    } else if (WINDASH_CHARS.length ** dashes <= WINDASH_EXPANSION_LIMIT) {
      for (const variant of expandClasses(tokens)) out.push({ kind: 'pattern', tokens: variant });
    } else {
      out.push({ kind: 'pattern', tokens });
    }
  }
  return out;
}

function markDashes(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  tokens.forEach((token, index) => {
    if (token.kind !== 'text') {
      out.push(token);
      return;
    }
    const previous = tokens[index - 1];
    const next = tokens[index + 1];
    let text = '';
    for (let at = 0; at < token.text.length; at++) {
      const char = token.text[at] as string;
      const before =
        at > 0 ? token.text[at - 1] : previous?.kind === 'text' ? previous.text.slice(-1) : '';
      const after =
        at + 1 < token.text.length ? token.text[at + 1] : next?.kind === 'text' ? next.text[0] : '';
      const startsWord = !WORD_CHAR.test(before ?? '') && WORD_CHAR.test(after ?? '');
      if ((char === '-' || char === '/') && startsWord) {
        if (text) out.push({ kind: 'text', text });
        text = '';
        out.push({ kind: 'class', chars: WINDASH_CHARS });
      } else {
        text += char;
      }
    }
    if (text) out.push({ kind: 'text', text });
  });
  return out;
}

function expandClasses(tokens: readonly Token[]): Token[][] {
  let variants: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind !== 'class') {
      variants = variants.map((variant) => appendToken(variant, token));
      continue;
    }
    variants = variants.flatMap((variant) =>
      token.chars.map((char) => appendToken(variant, { kind: 'text', text: char })),
    );
  }
  return variants;
}

function appendToken(tokens: Token[], token: Token): Token[] {
  const last = tokens[tokens.length - 1];
  if (token.kind === 'text' && last?.kind === 'text') {
    return [...tokens.slice(0, -1), { kind: 'text', text: last.text + token.text }];
  }
  return [...tokens, token];
}

/** A `%name%` placeholder inside a text token; a backslash before a `%` makes it plain. */
const PLACEHOLDER = /\\%|%([A-Za-z0-9_.-]+)%/g;

/**
 * `expand`: each `%name%` is replaced by each value of the placeholder (all combinations). The
 * values are in Sigma notation, so they may carry wildcards. A placeholder without values is
 * handled as `placeholders.unresolved` sets.
 */
function expand(values: SigmaValue[], placeholders: Placeholders): SigmaValue[] | string {
  const out: SigmaValue[] = [];
  for (const value of values) {
    if (value.kind !== 'pattern') {
      out.push(value);
      continue;
    }
    const variants = expandTokens(value.tokens, placeholders);
    if (typeof variants === 'string') return variants;
    for (const tokens of variants) out.push({ kind: 'pattern', tokens });
  }
  return out;
}

function expandTokens(tokens: readonly Token[], placeholders: Placeholders): Token[][] | string {
  let variants: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind !== 'text') {
      variants = variants.map((variant) => appendToken(variant, token));
      continue;
    }
    let last = 0;
    for (const match of token.text.matchAll(PLACEHOLDER)) {
      const before = token.text.slice(last, match.index);
      last = (match.index as number) + match[0].length;
      const name = match[1];
      const plain = name === undefined ? `${before}%` : before;
      if (plain) variants = variants.map((variant) => appendText(variant, plain));
      if (name === undefined) continue;

      const replacements = placeholders.values(name);
      if (replacements !== undefined) {
        variants = variants.flatMap((variant) =>
          replacements.map((replacement) =>
            parseSigmaString(String(replacement)).reduce(appendToken, variant),
          ),
        );
      } else if (placeholders.unresolved === 'wildcard') {
        variants = variants.map((variant) => appendToken(variant, { kind: 'any' }));
      } else if (placeholders.unresolved === 'empty') {
        return [];
      } else {
        return `placeholder %${name}% has no value in settings.placeholders`;
      }
    }
    const rest = token.text.slice(last);
    if (rest) variants = variants.map((variant) => appendText(variant, rest));
  }
  return variants;
}

function appendText(tokens: Token[], text: string): Token[] {
  return appendToken(tokens, { kind: 'text', text });
}

export const TRANSFORMS: ReadonlyMap<string, Transform> = new Map<string, Transform>([
  [
    'base64',
    (values) =>
      mapBytes(values, 'base64', (bytes) => [literal(Buffer.from(bytes).toString('base64'))]),
  ],
  [
    'base64offset',
    (values) => mapBytes(values, 'base64offset', (bytes) => base64Offsets(bytes).map(literal)),
  ],
  [
    'utf16le',
    (values) =>
      mapBytes(values, 'utf16le', (bytes) => [
        { kind: 'bytes', bytes: utf16(bytes, false, false) },
      ]),
  ],
  [
    'wide',
    (values) =>
      mapBytes(values, 'wide', (bytes) => [{ kind: 'bytes', bytes: utf16(bytes, false, false) }]),
  ],
  [
    'utf16be',
    (values) =>
      mapBytes(values, 'utf16be', (bytes) => [{ kind: 'bytes', bytes: utf16(bytes, true, false) }]),
  ],
  [
    'utf16',
    (values) =>
      mapBytes(values, 'utf16', (bytes) => [{ kind: 'bytes', bytes: utf16(bytes, false, true) }]),
  ],
  ['windash', (values) => windash(values)],
  ['expand', (values, placeholders) => expand(values, placeholders)],
]);

/** A value as the rule wrote it, before transformations. */
export function valueFromYaml(raw: unknown): SigmaValue | string {
  if (raw === null || raw === undefined) return { kind: 'null' };
  if (typeof raw === 'string') return { kind: 'pattern', tokens: parseSigmaString(raw), raw };
  if (typeof raw === 'number') return { kind: 'number', value: raw, text: String(raw) };
  if (typeof raw === 'boolean') return { kind: 'boolean', value: raw };
  return `expected a string, number, boolean or null, found ${Array.isArray(raw) ? 'a list' : 'a map'}`;
}

/** Bytes as a field would carry them after decoding: one character per byte. */
export function bytesAsText(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}
