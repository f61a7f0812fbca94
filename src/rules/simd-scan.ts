/**
 * A WebAssembly SIMD search of a record's JSON text for a few short ASCII strings: the required
 * factors of a keyword rule and the `\u` escape (literal-lists.ts). A keyword rule tests the
 * text of every record whose format keeps it (`textHoldsValues`, such as flat NXLog Windows
 * records) before it walks the values, and a rule of `product: windows` such as SigmaHQ's
 * Mimikatz keywords runs on every Windows record. On 238,692 OTRF records (2 Xeon vCPUs, Node
 * 20) V8's expression for `::|kiwi|mimi|\u....` took 436 ms, and this search 230 ms, the copy of
 * each text into WebAssembly memory included.
 *
 * Written here because no maintained package searches JavaScript strings for several strings at
 * once with SIMD. The SIMD searchers found (Rust crates, a WebAssembly PCRE2 port) look for one
 * string, need a toolchain to build, or bring a whole regular expression engine. The module is
 * generated for each set of strings, so that their characters are constants of the code.
 *
 * The search only proposes: it finds the first block of 16 positions where one of the strings
 * may start (its first four characters, folded for case when asked), and the rule's expression
 * then runs from that block. A match of the expression starts at one of the strings, so no
 * match starts before the block, and the result is always the expression's.
 */

/**
 * Strings searched at most. Each adds its comparisons to every block, so the limit is an
 * estimate: the factor lists of keyword rules have at most four strings and the escape.
 */
const MAX_STRINGS = 8;

/** Characters of a string compared in a block. The expression checks the rest. */
const COMPARED = 4;

/**
 * Characters compared in the first pass over a block. The others are compared only where one of
 * the strings may start.
 */
const FIRST_PASS = 2;

/**
 * Bytes after the text read by the last block: its loads at offsets 0 to 3 reach 18 bytes past
 * its start, so up to 17 past the text. They are zero, which no searched string contains.
 */
const PADDING = 32;

/** Largest text copied, in UTF-16 code units. The expression alone searches longer texts. */
const MAX_TEXT = 16 * 1024 * 1024;

const PAGE = 64 * 1024;

/**
 * The memory that all searches of a thread copy texts into, and the text it contains. It grows to
 * the longest text searched, at most `settings.limits.max_record_length`, and never shrinks.
 */
interface SharedText {
  memory: WebAssembly.Memory;
  bytes: Buffer;
  text: string | undefined;
}

let shared: SharedText | undefined | null;

/** A string searched for. With `foldCase`, each of its ASCII letters matches in either case. */
export interface ScanString {
  text: string;
  foldCase: boolean;
}

/** Result of `candidateBlocks` for a text it could not copy, which the expression then reads. */
export const NOT_SEARCHED = -2;

/**
 * Returns a test of whether `expression` matches a text, or undefined when `candidateBlocks`
 * cannot search the strings. The expression must match only where one of `strings` starts, in
 * a case its `foldCase` allows; it must not be global or sticky.
 */
export function simdTextTest(
  strings: readonly ScanString[],
  expression: RegExp,
): ((text: string) => boolean) | undefined {
  const search = candidateBlocks(strings);
  if (search === undefined) return undefined;

  const from = new RegExp(expression.source, `${expression.flags}g`);
  return (text) => {
    const block = search(text);
    if (block === NOT_SEARCHED) return expression.test(text);
    if (block < 0) return false;
    from.lastIndex = block;
    return from.test(text);
  };
}

/**
 * Returns the search that gives the offset of the first 16-character block of a text where one
 * of the strings may start, -1 when none may, or `NOT_SEARCHED`. Returns undefined when there
 * are no strings or more than `MAX_STRINGS`, when one is empty or has a character outside
 * `\x01`-`\x7f`, or when WebAssembly SIMD is not available.
 */
export function candidateBlocks(
  strings: readonly ScanString[],
): ((text: string) => number) | undefined {
  if (strings.length === 0 || strings.length > MAX_STRINGS) return undefined;
  if (!strings.every(({ text }) => text.length > 0 && /^[\x01-\x7f]+$/.test(text))) {
    return undefined;
  }
  const memory = sharedText();
  if (memory === undefined) return undefined;
  const scan = compileScan(strings, memory.memory);
  if (scan === undefined) return undefined;

  return (text) => {
    if (text.length > MAX_TEXT || !copyText(memory, text)) return NOT_SEARCHED;
    return scan(text.length);
  };
}

/** Returns the shared memory, made at the first search, or undefined without WebAssembly. */
function sharedText(): SharedText | undefined {
  if (shared !== undefined) return shared ?? undefined;
  try {
    const memory = new WebAssembly.Memory({ initial: 16 });
    shared = { memory, bytes: Buffer.from(memory.buffer), text: undefined };
  } catch {
    shared = null;
  }
  return shared ?? undefined;
}

/**
 * Copies a text into the memory unless it is there already, as when several keyword rules
 * search one record. Each UTF-16 unit becomes its low byte, so every ASCII character keeps its
 * index. Other characters may read as ASCII ones, and then only propose more blocks. Returns
 * false when the memory cannot grow to hold the text.
 */
function copyText(target: SharedText, text: string): boolean {
  if (target.text === text) return true;
  const needed = text.length + PADDING;
  if (needed > target.bytes.length) {
    try {
      target.memory.grow(Math.ceil((needed - target.bytes.length) / PAGE));
    } catch {
      return false;
    }
    target.bytes = Buffer.from(target.memory.buffer);
  }
  const written = target.bytes.write(text, 0, 'latin1');
  target.bytes.fill(0, written, written + PADDING);
  target.text = text;
  return true;
}

/** Compiles the search of `strings`, or returns undefined when the engine rejects the module. */
function compileScan(
  strings: readonly ScanString[],
  memory: WebAssembly.Memory,
): ((length: number) => number) | undefined {
  const bytes = scanModule(strings);
  try {
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { text: { memory } });
    return instance.exports.scan as (length: number) => number;
  } catch {
    return undefined;
  }
}

// Opcodes of the WebAssembly binary format used below.
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  void: 0x40,
  simd: 0xfd,
} as const;

const SIMD = { load: 0x00, const: 0x0c, eq: 0x23, and: 0x4e, or: 0x50, anyTrue: 0x53 } as const;

const TYPE = { i32: 0x7f, v128: 0x7b, func: 0x60 } as const;

/**
 * Builds `scan(length) -> block`: the byte offset of the first 16-byte block of the text (at
 * memory offset 0, followed by zero bytes) where one of the strings may start, or -1. Local 0 is
 * the length, local 1 the block, and locals 2 on the text loaded from the block plus 0, 1, 2 ...
 */
function scanModule(strings: readonly ScanString[]): Uint8Array {
  const compared = Math.min(COMPARED, Math.max(...strings.map(({ text }) => text.length)));
  const block = 1;
  const loaded = (offset: number) => 2 + offset;
  const code: number[] = [];
  const load = (offset: number) =>
    code.push(OP.localGet, block, OP.simd, SIMD.load, 0, offset, OP.localSet, loaded(offset));
  const anyStarts = (characters: number) => {
    strings.forEach(({ text, foldCase }, index) => {
      const upTo = Math.min(characters, text.length);
      for (let offset = 0; offset < upTo; offset++) {
        compareCharacter(code, loaded(offset), text.charCodeAt(offset), foldCase);
        if (offset > 0) code.push(OP.simd, SIMD.and);
      }
      if (index > 0) code.push(OP.simd, SIMD.or);
    });
    code.push(OP.simd, SIMD.anyTrue);
  };

  code.push(OP.block, OP.void, OP.loop, OP.void);
  code.push(OP.localGet, block, OP.localGet, 0, OP.i32GeU, OP.brIf, 1);
  const first = Math.min(FIRST_PASS, compared);
  for (let offset = 0; offset < first; offset++) load(offset);
  anyStarts(first);
  code.push(OP.if, OP.void);
  // Strings of up to two characters were compared whole by the first pass.
  if (compared > first) {
    for (let offset = first; offset < compared; offset++) load(offset);
    anyStarts(compared);
    code.push(OP.if, OP.void, OP.localGet, block, OP.return, OP.end);
  } else code.push(OP.localGet, block, OP.return);
  code.push(OP.end);
  code.push(OP.localGet, block, OP.i32Const, 16, OP.i32Add, OP.localSet, block, OP.br, 0);
  code.push(OP.end, OP.end, OP.i32Const, 0x7f, OP.end);

  const locals = [2, 1, TYPE.i32, compared, TYPE.v128];
  const body = [...locals, ...code];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, TYPE.func, 1, TYPE.i32, 1, TYPE.i32]),
    ...section(2, [1, ...name('text'), ...name('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('scan'), 0x00, 0]),
    ...section(10, [1, ...unsigned(body.length), ...body]),
  ]);
}

/**
 * Pushes a comparison of each byte of a loaded block with a character: ASCII letters folded
 * by setting bit 0x20 when `fold`, which maps exactly the two cases of a letter to one value.
 */
function compareCharacter(code: number[], local: number, character: number, fold: boolean) {
  const letter = (character | 0x20) >= 0x61 && (character | 0x20) <= 0x7a;
  code.push(OP.localGet, local);
  if (fold && letter) code.push(...splat(0x20), OP.simd, SIMD.or);
  code.push(...splat(fold && letter ? character | 0x20 : character), OP.simd, SIMD.eq);
}

function splat(byte: number): number[] {
  return [OP.simd, SIMD.const, ...new Array<number>(16).fill(byte)];
}

function section(id: number, content: readonly number[]): number[] {
  return [id, ...unsigned(content.length), ...content];
}

function name(text: string): number[] {
  return [...unsigned(text.length), ...Buffer.from(text, 'latin1')];
}

/** LEB128 encoding of an unsigned integer, as the binary format writes sizes and indexes. */
function unsigned(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}
