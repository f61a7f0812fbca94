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
 * Blocks of 16 characters that one round of the first pass compares, before one branch on all
 * of them. On 981 MB of OTRF record texts (AMD EPYC, Node 20), the search for the Mimikatz
 * factors took 171 ms with rounds of four blocks and 200 ms with a branch after each block, the
 * copies into memory included. Rounds of two took 177 ms.
 */
const GROUP = 4;

/**
 * Bytes after the text that a round may read: a round starts before the text's end, and its
 * last block's loads at offsets 0 to 3 reach 48 + 3 + 15 bytes past the round's start. They are
 * zero, which no searched string contains.
 */
const PADDING = 96;

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
  /** The same memory, for `Uint8Array`'s `fill`, which takes less time than `Buffer`'s. */
  view: Uint8Array;
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
    const buffer = memory.buffer;
    shared = { memory, bytes: Buffer.from(buffer), view: new Uint8Array(buffer), text: undefined };
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
    target.view = new Uint8Array(target.memory.buffer);
  }
  const written = target.bytes.write(text, 0, 'latin1');
  target.view.fill(0, written, written + PADDING);
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
 * memory offset 0, followed by zero bytes) where one of the strings may start, or -1. Each round
 * of the loop compares the first `FIRST_PASS` characters of every string in `GROUP` blocks and
 * branches once on all of them. Only a round where one may start looks at its blocks in turn,
 * and compares up to `COMPARED` characters there. Local 0 is the length and local 1 the offset
 * of the round; the locals after them hold 128-bit vectors (see `ScanLocals`).
 */
function scanModule(strings: readonly ScanString[]): Uint8Array {
  const compared = Math.min(COMPARED, Math.max(...strings.map(({ text }) => text.length)));
  const first = Math.min(FIRST_PASS, compared);
  const locals = scanLocals(first, compared);
  const round = 1;
  const code: number[] = [];
  const load = (offset: number, local: number) =>
    code.push(OP.localGet, round, OP.simd, SIMD.load, 0, offset, OP.localSet, local);
  const returnBlock = (block: number) =>
    code.push(OP.localGet, round, OP.i32Const, ...signed(16 * block), OP.i32Add, OP.return);

  code.push(OP.block, OP.void, OP.loop, OP.void);
  code.push(OP.localGet, round, OP.localGet, 0, OP.i32GeU, OP.brIf, 1);

  // The first pass: each block's loads, their letters folded once, and a mask of possible starts.
  const folds = foldedOffsets(strings, first);
  for (let block = 0; block < GROUP; block++) {
    for (let offset = 0; offset < first; offset++) {
      load(16 * block + offset, locals.loaded(block, offset));
      if (!folds.has(offset)) continue;
      code.push(OP.localGet, locals.loaded(block, offset), ...splat(0x20), OP.simd, SIMD.or);
      code.push(OP.localSet, locals.folded(block, offset));
    }
    pushStarts(code, strings, first, (offset, fold) =>
      fold ? locals.folded(block, offset) : locals.loaded(block, offset),
    );
    code.push(OP.localSet, locals.mask(block));
  }
  code.push(OP.localGet, locals.mask(0));
  for (let block = 1; block < GROUP; block++) {
    code.push(OP.localGet, locals.mask(block), OP.simd, SIMD.or);
  }
  code.push(OP.simd, SIMD.anyTrue, OP.if, OP.void);

  // A round where a string may start: its blocks in order, each compared in full.
  for (let block = 0; block < GROUP; block++) {
    code.push(OP.localGet, locals.mask(block), OP.simd, SIMD.anyTrue, OP.if, OP.void);
    // Strings of up to `first` characters were compared whole by the first pass.
    if (compared > first) {
      for (let offset = 0; offset < compared; offset++)
        load(16 * block + offset, locals.second(offset));
      pushStarts(code, strings, compared, (offset, fold) => {
        const local = locals.second(offset);
        code.push(OP.localGet, local);
        if (fold) code.push(...splat(0x20), OP.simd, SIMD.or);
        return undefined;
      });
      code.push(OP.simd, SIMD.anyTrue, OP.if, OP.void);
      returnBlock(block);
      code.push(OP.end);
    } else returnBlock(block);
    code.push(OP.end);
  }
  code.push(OP.end);

  code.push(OP.localGet, round, OP.i32Const, ...signed(16 * GROUP), OP.i32Add);
  code.push(OP.localSet, round, OP.br, 0);
  code.push(OP.end, OP.end, OP.i32Const, ...signed(-1), OP.end);

  const declared = [2, 1, TYPE.i32, ...unsigned(locals.count), TYPE.v128];
  const body = [...declared, ...code];
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
 * The vector locals of the scan, numbered from 2: the first pass's loads of each block and
 * their folded copies, each block's mask of possible starts, and the loads of the full compare.
 */
interface ScanLocals {
  count: number;
  loaded(block: number, offset: number): number;
  folded(block: number, offset: number): number;
  mask(block: number): number;
  second(offset: number): number;
}

function scanLocals(first: number, compared: number): ScanLocals {
  const loads = GROUP * first;
  return {
    count: 2 * loads + GROUP + compared,
    loaded: (block, offset) => 2 + block * first + offset,
    folded: (block, offset) => 2 + loads + block * first + offset,
    mask: (block) => 2 + 2 * loads + block,
    second: (offset) => 2 + 2 * loads + GROUP + offset,
  };
}

/** Offsets of the first pass where some string folds a letter for case. */
function foldedOffsets(strings: readonly ScanString[], first: number): Set<number> {
  const offsets = new Set<number>();
  for (const { text, foldCase } of strings) {
    for (let offset = 0; offset < Math.min(first, text.length); offset++) {
      if (foldCase && isLetter(text.charCodeAt(offset))) offsets.add(offset);
    }
  }
  return offsets;
}

/**
 * Pushes the mask of the positions where one of the strings may start, from its first
 * `characters` characters. `operand` pushes nothing and returns the local that contains the text
 * at an offset, folded when asked, or pushes that text itself and returns undefined.
 */
function pushStarts(
  code: number[],
  strings: readonly ScanString[],
  characters: number,
  operand: (offset: number, fold: boolean) => number | undefined,
): void {
  strings.forEach(({ text, foldCase }, index) => {
    const upTo = Math.min(characters, text.length);
    for (let offset = 0; offset < upTo; offset++) {
      const character = text.charCodeAt(offset);
      const fold = foldCase && isLetter(character);
      const local = operand(offset, fold);
      if (local !== undefined) code.push(OP.localGet, local);
      code.push(...splat(fold ? character | 0x20 : character), OP.simd, SIMD.eq);
      if (offset > 0) code.push(OP.simd, SIMD.and);
    }
    if (index > 0) code.push(OP.simd, SIMD.or);
  });
}

/**
 * Tells whether an ASCII character is a letter. Setting bit 0x20 of a byte maps exactly the two
 * cases of a letter to one value, which is how the scan folds case.
 */
function isLetter(character: number): boolean {
  return (character | 0x20) >= 0x61 && (character | 0x20) <= 0x7a;
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

/** Signed LEB128 encoding of an integer, as the binary format writes `i32.const`. */
function signed(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
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
