/**
 * The scanner that frames JSON which is not NDJSON: a bare array, values written back to back,
 * and wrapper documents whose records sit in one array.
 *
 * Written by hand because the streaming JSON parsers on npm are 4 to 12 times slower than
 * `JSON.parse` on records of this size: this scanner only finds where each record starts and
 * ends (tracking strings, escapes and nesting) and hands the slice to `JSON.parse`, so memory
 * keeps one record at a time however large the document is.
 *
 * The file is past 600 lines because the scanner is one state machine: its modes, its damage
 * checks, its roll-backs to bracket lines (see `json-checkpoint.ts`) and its reading of text
 * between records change the same fields.
 */

import { Checkpoint, CheckpointKind, type CheckState, RollBackBudget } from './json-checkpoint.js';
import {
  isSchemaKey,
  isWrapperKey,
  type JsonFramingOptions,
  type JsonRecord,
  parseRecord,
  SNIPPET_LENGTH,
  tooDeepRecord,
  tooLarge,
} from './json-records.js';
import {
  closingText,
  continuesAfterArray,
  countLineBreaks,
  framesRecord,
  isJson,
  isSpaceOrTab,
  isTextAtTop,
  isTokenEnd,
  nextOnLine,
  OBJECT_LOOKAHEAD,
  rejectStrayText,
  startsJsonValue,
  startsTextLine,
} from './json-stream-text.js';

/** Maximum length of a root-level string read as an object key. Wrapper keys are short. */
const MAX_KEY_LENGTH = 256;

/**
 * Maximum records tried inside one damaged unit (see `findRecordInside`). Each try scans on to
 * where that record closes, so the cap bounds the work that one damaged unit can cost.
 */
const MAX_RECORDS_TRIED = 64;

/**
 * Maximum elements held while a top-level array after a record contains no object (see
 * `holding`). Each held element is a parsed record, so the cap bounds their memory. The array's
 * text is kept only up to the record length limit, because the array is rejected as one record
 * and a record longer than that limit is not kept either. The cap also bounds the records held
 * back after a checkpoint's bracket (see `boundCheckpoint`).
 */
const MAX_HELD_ELEMENTS = 1024;

/**
 * A record, or a root object that may be one, as the damage checks see it. Without the checks,
 * damaged JSON would swallow every record after it: a cut record's brackets never balance, and
 * an unclosed string reads the rest of the file as text.
 *
 * A unit is damaged when a line break falls inside one of its strings, since JSON strings
 * contain none: framing goes on at the next line that starts with `{` in the unit's column. It
 * is also damaged where JSON allows no `{` (after a value, a key or an object's comma), or at a
 * closing bracket of the wrong kind: a new record starts at that `{`, and the bracket is
 * dropped. Valid JSON never meets either check.
 */
interface Unit {
  /** Column of its opening bracket, counted from 0. */
  column: number;
}

/**
 * A record of a wrapper's record array that closed but may still turn out to be cut. A record
 * cut right after `"key": [` takes the records after it as elements of that array, and the
 * closing `]` and `}` of the wrapper then close it, so it frames as a whole record. Only the end
 * of the input, with the wrapper still open, shows the damage. Its text is kept, so that the
 * records inside it can be found as in a damaged unit.
 */
interface PendingRecord {
  record: JsonRecord;
  /** Index in `buffer` of its opening bracket. */
  start: number;
  line: number;
  column: number;
  ordinal: number;
}

enum Mode {
  /** Between top-level values. */
  Top,
  /** Inside a top-level array: its elements are records. */
  Array,
  /** Inside a root object that may still turn out to be a wrapper. */
  Root,
  /** Inside the record array of a wrapper object. */
  Wrapper,
  /** Inside a wrapper object after its record array closed: the rest is skipped. */
  WrapperTail,
}

/** `resumeAt` when a damaged checkpoint stops the scan, which then rolls back to it. */
const STOP_SCAN = -2;

/** The scanner's fields that a roll-back to a checkpoint puts back (see `Checkpoint`). */
interface ScannerState {
  mode: Mode;
  depth: number;
  /** The opening brackets of the containers at depths 0 to `depth`. */
  kinds: number[];
  ordinal: number;
  firstRecordInArray: boolean | undefined;
  /** Position, counted as `dropped` counts, where the bracket's line starts. */
  lineStart: number;
  /** The checks of the first array's checkpoint at the bracket (see `firstArray`). */
  firstArrayChecks?: CheckState;
}

/**
 * Reads JSON that is not NDJSON: a bare array, a wrapper object, or values back to back.
 * Records are numbered by element within the record arrays, or by value when there is none.
 */
export async function* readJsonStream(
  texts: AsyncIterable<string>,
  options: JsonFramingOptions,
): AsyncIterable<JsonRecord[]> {
  const scanner = new JsonStreamScanner(options);
  for await (const text of texts) {
    const out = scanner.push(text);
    if (out.length > 0) yield out;
  }
  const rest = scanner.finish();
  if (rest.length > 0) yield rest;
}

/** The state machine behind `readJsonStream`; exported for tests. */
export class JsonStreamScanner {
  private buffer = '';
  /** Index in `buffer` of the next character to scan. */
  private index = 0;
  private line = 1;
  private mode: Mode = Mode.Top;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Start of the current record in `buffer`, or -1 between records. */
  private recordStart = -1;
  private recordLine = 0;
  private recordDepth = 0;
  private recordOversize = false;
  private recordTooDeep = false;
  /** True while the literal of a scalar element (a number, `true`, `false`, `null`) is read. */
  private recordScalar = false;
  /**
   * End of a scalar element that is complete, or -1. It stays a record only if a delimiter comes
   * next (see `stepScalar`).
   */
  private scalarEnd = -1;
  /** Start in `buffer` of the text between records that is being read, or -1 (see `readStray`). */
  private strayStart = -1;
  private strayLine = 0;
  /** The start of stray text longer than the record limit, once the rest is no longer kept. */
  private straySnippet: string | undefined;
  /**
   * Index in `buffer` of a top-level `[` until its first element ends or its line does, else -1.
   * It may start a line of text such as `[INFO] page 2` (see `strayFromRecord`).
   */
  private arrayOpenAt = -1;
  /** Start offset of the last string at root depth, to read object keys. */
  private keyStart = -1;
  private lastKey = '';
  private ordinal = 0;
  /** Whether the current line has a character other than a space before the one scanned. */
  private lineHasContent = false;
  /** The opening bracket of the container at each depth, at the index of that depth. */
  private readonly kinds: number[] = [];
  /** The last character outside strings, or a quote for a string that closed; 0 after a reset. */
  private previous = 0;
  /** Characters dropped from the front of `buffer` so far, to measure columns across chunks. */
  private dropped = 0;
  /** Position, counted as `dropped` counts, where the current line starts. */
  private lineStart = 0;
  /** The open record, or root object, that a damage check looks at (see `Unit`). */
  private unit: Unit | undefined;
  /**
   * The greatest column where the record after a damaged one may start, while it is looked for:
   * the damaged one's. The records after it may be indented less, but not less than
   * `resyncMinColumn`.
   */
  private resyncColumn = -1;
  private resyncMinColumn = 0;
  /** Column of the first character other than a space on the current line. */
  private lineIndent = 0;
  /**
   * Indentation of the line where the record array opened: its elements start no further left,
   * so a `{` further left, such as a next page's, is not one of them (see `minRecordColumn`).
   */
  private recordArrayIndent = 0;
  /** Index in `buffer` where scanning goes on after a look-back found a record, else -1. */
  private resumeAt = -1;
  /**
   * The last record framed in a wrapper's record array, held back until the next record starts or
   * the array closes (see `PendingRecord`).
   */
  private pending: PendingRecord | undefined;
  /** True once `finish` is called: the end of the buffer is the end of the input. */
  private inputEnded = false;
  /** The state before a bracket line that may be text (see `Checkpoint`). */
  private checkpoint: Checkpoint<ScannerState> | undefined;
  /**
   * The checkpoint at the `[` of an array that is the first value, while that `[` may be text
   * (see `Checkpoint.firstValue`). A bracket line in its array takes `checkpoint`, whose records
   * go to this checkpoint once that bracket line is JSON.
   */
  private firstArray: Checkpoint<ScannerState> | undefined;
  private readonly rollBackBudget = new RollBackBudget();
  /**
   * True when the first record came from an array (a bare array or a wrapper's record array),
   * false when it stood at the top level. Undefined until a record was framed.
   */
  firstRecordInArray: boolean | undefined;

  constructor(private readonly options: JsonFramingOptions) {}

  push(text: string): JsonRecord[] {
    this.buffer += text;
    const out: JsonRecord[] = [];
    this.scan(out);
    this.boundFirstArray(out);
    this.boundCheckpoint(out);
    this.compact();
    return out;
  }

  /**
   * Returns the records framed but not sent yet: those held back after a bracket line that may
   * be text, and the last record of a wrapper's record array. Format detection samples them,
   * and they are sent later, or framed again after a roll-back.
   */
  heldBack(): JsonRecord[] {
    const records = [...(this.firstArray?.output ?? []), ...(this.checkpoint?.output ?? [])];
    if (this.pending !== undefined) records.push(this.pending.record);
    return records;
  }

  finish(): JsonRecord[] {
    const out: JsonRecord[] = [];
    this.inputEnded = true;
    // Scanning waits at a bracket until its line or the token after it is complete.
    if (this.index < this.buffer.length) this.scan(out);
    this.endCheckpoint(out);
    this.finishInto(out);
    this.flushPending(out);
    this.buffer = '';
    this.index = 0;
    return out;
  }

  /** Handles the end of the input: what is still open is cut. */
  private finishInto(out: JsonRecord[]): void {
    if (this.heldEnd >= 0) this.rejectHeldArray(out);
    else this.releaseHeld(out, this.buffer.length);
    if (this.strayStart >= 0) this.endStray(this.buffer.length, out);

    if (this.resyncColumn >= 0) {
      // The damaged record was reported; nothing after it started a record.
    } else if (this.recordScalar || this.scalarEnd >= 0) {
      // The end of the input ends a scalar element as a line break does.
      this.stepScalar(0x0a, this.buffer.length, out);
      if (this.strayStart >= 0) this.endStray(this.buffer.length, out);
    } else if (this.unit !== undefined && this.recordStart >= 0) {
      this.rejectUnit('input ends inside a JSON value', this.buffer.length, out);
      if (this.strayStart >= 0) this.endStray(this.buffer.length, out);
      this.finishAfterResume(out);
    } else if (this.unit !== undefined && this.mode === Mode.Root) {
      this.rejectUnit('input ends before the JSON document closes', this.buffer.length, out);
      this.finishAfterResume(out);
    } else if (this.recordStart >= 0) {
      const text = this.buffer.slice(this.recordStart);
      this.ordinal++;
      this.emit(out, {
        error: { code: 'invalid_json', message: 'input ends inside a JSON value' },
        snippet: text.slice(0, SNIPPET_LENGTH),
        record: this.ordinal,
        line: this.recordLine,
      });
    } else if (this.pendingHoldsRecords(this.buffer.length)) {
      this.rejectPending('input ends before the record array closes', this.buffer.length, out);
      if (this.strayStart >= 0) this.endStray(this.buffer.length, out);
      this.finishAfterResume(out);
    } else if (this.mode !== Mode.Top) {
      this.emit(out, {
        error: { code: 'invalid_json', message: 'input ends before the JSON document closes' },
        record: this.textNumber(),
        line: this.line,
      });
    }
  }

  /**
   * Tells whether the held record contains a whole record that starts a line in its own column
   * before `end`, which shows that it was cut (see `PendingRecord`). It is checked where JSON
   * allows nothing but a comma or the array's `]` after the held record: at the end of the
   * input, or at any other character. A record cut by the end of the input stays read.
   */
  private pendingHoldsRecords(end: number): boolean {
    const pending = this.pending;
    if (pending === undefined || pending.start < 0) return false;
    if (this.mode !== Mode.Wrapper || this.depth !== 2 || pending.ordinal !== this.ordinal) {
      return false;
    }
    const column = pending.column;
    return this.findRecordInside(pending.start, end, column, this.minRecordColumn(true)) >= 0;
  }

  /**
   * Handles a character other than whitespace after the held record: a comma sends it, and
   * anything but a `]` rejects it when it contains records (see `pendingHoldsRecords`). Returns
   * whether scanning goes on from a record inside it (`resumeAt`).
   */
  private stepAfterPending(code: number, index: number, out: JsonRecord[]): boolean {
    if (code === 0x5d) return false;
    if (code !== 0x2c && this.pendingHoldsRecords(index)) {
      this.rejectPending('a record array element is not followed by a comma', index, out);
      return this.resumeAt >= 0;
    }
    this.flushPending(out);
    return false;
  }

  /**
   * Rejects the held record as cut, up to the first record inside it, and reads the rest of the
   * input again from there, at the depth of the record array.
   */
  private rejectPending(message: string, end: number, out: JsonRecord[]): void {
    const pending = this.pending as PendingRecord;
    this.pending = undefined;
    this.recordStart = pending.start;
    this.recordLine = pending.line;
    this.recordDepth = this.depth;
    this.recordOversize = false;
    this.recordTooDeep = false;
    this.unit = { column: pending.column };
    this.ordinal = pending.ordinal - 1;
    this.rejectUnit(message, end, out);
  }

  /** Sends a record or rejection, after the held record that comes before it. */
  private emit(out: JsonRecord[], record: JsonRecord): void {
    this.flushPending(out);
    this.send(out, record);
  }

  /** Sends the held record, once what follows it shows that it closed where it should. */
  private flushPending(out: JsonRecord[]): void {
    if (this.pending === undefined) return;
    const record = this.pending.record;
    this.pending = undefined;
    this.send(out, record);
  }

  /** Sends a record or rejection, or defers it while a checkpoint is open. */
  private send(out: JsonRecord[], record: JsonRecord): void {
    const checkpoint = this.checkpoint ?? this.firstArray;
    if (checkpoint === undefined) {
      out.push(record);
      return;
    }
    checkpoint.hold(record);
    this.stopIfDamaged();
  }

  /** Scans the rest of the input from a record found inside a unit cut by its end. */
  private finishAfterResume(out: JsonRecord[]): void {
    if (this.resumeAt < 0) return;
    this.index = this.resumeAt;
    this.scan(out);
    this.endCheckpoint(out);
    this.finishInto(out);
  }

  /** Scans the buffer from `index`, and again from each checkpoint that damage rolls back to. */
  private scan(out: JsonRecord[]): void {
    this.scanFrom(out);
    while (this.checkpoint?.damaged || this.firstArray?.damaged) {
      this.rollBack();
      this.scanFrom(out);
    }
  }

  private scanFrom(out: JsonRecord[]): void {
    const buffer = this.buffer;
    let index = this.index;
    if (this.strayStart >= 0) {
      index = this.readStray(index, out);
      if (index < 0) return;
    }

    for (; index < buffer.length || this.resumeAt >= 0; index++) {
      if (this.resumeAt !== -1) {
        if (this.resumeAt === STOP_SCAN) {
          this.index = index;
          return;
        }
        // A damaged unit was rejected up to a record inside it: frame that record next.
        index = this.resumeAt;
        this.resumeAt = -1;
      }
      const code = buffer.charCodeAt(index);
      if (code === 0x0a) {
        this.line++;
        this.endLine(index, out);
        continue;
      }
      if (this.resyncColumn >= 0) {
        if (!this.resumesAt(code, index)) continue;
        this.resyncColumn = -1;
      }

      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (code === 0x5c) this.escaped = true;
        else if (code === 0x22) {
          this.inString = false;
          this.previous = 0x22;
          if (this.keyStart >= 0) {
            this.lastKey = buffer.slice(this.keyStart, index);
            this.keyStart = -1;
            if (this.mode === Mode.Root && this.depth === 1 && isSchemaKey(this.lastKey)) {
              this.rootHasSchema = true;
            }
          }
          if (this.recordStart >= 0 && this.depth === this.recordDepth) this.scalarEnd = index;
        }
        continue;
      }

      const space = code === 0x20 || code === 0x0d || code === 0x09;
      if (!space) {
        if (this.wrapperUndecided && !this.decideWrapper(code, index, out)) {
          // Scanning waits until the line of the first element shows whether it is text.
          this.index = index;
          return;
        }
        if (this.pending !== undefined && this.stepAfterPending(code, index, out)) continue;
        if (this.previous === 0x7b && this.braceLineIsText(code)) this.rejectBraceLine(out);
      }

      if (space) {
        // A space ends the literal of a scalar element, which may then turn out to be text.
        if (!this.recordScalar || this.stepScalar(code, index, out)) continue;
      } else if (this.recordScalar || this.scalarEnd >= 0) {
        if (this.stepScalar(code, index, out)) continue;
        if (this.strayStart < 0) {
          this.step(code, index, out);
          if (this.strayStart < 0) continue;
        }
      } else if (this.heldEnd >= 0 && this.textFollowsHeldArray(code, index, out)) {
        // The held array starts a line of text, which is read from its `[`.
      } else if (
        (this.previous === 0x7b || this.previous === 0x5b) &&
        this.bracketText(code, index)
      ) {
        this.strayFromBrace(out);
      } else if (this.previous === 0x5b && this.bracketText(code, index) === undefined) {
        // Scanning waits until the token after the `[` ends.
        this.index = index;
        return;
      } else if (this.isStrayClose(code) || this.isRecordArrayClose(code)) {
        const text = this.closeStartsText(index + 1);
        if (text === undefined) {
          this.index = index;
          return;
        }
        if (!text) {
          this.step(code, index, out);
          if (this.strayStart < 0) continue;
        } else if (
          this.checkpoint?.kind === CheckpointKind.Close &&
          this.closesNothingTwice(index)
        ) {
          // Like a lone unmatched bracket, `]}` after the checkpoint's `]` closes the record array.
          this.damageCheckpoint();
          continue;
        } else if (this.unit !== undefined) {
          const bracket = String.fromCharCode(code);
          this.rejectUnit(`a "${bracket}" that closes no open bracket`, index, out);
          // A record found inside the unit is framed first, and the bracket after it again.
          if (this.resumeAt >= 0) continue;
        }
        if (this.strayStart < 0) this.openStray(index, this.line);
      } else if (this.mode !== Mode.Top || !isTextAtTop(code)) {
        this.step(code, index, out);
        // A damaged unit may turn out to be a line of text (see `rejectUnit`).
        if (this.strayStart < 0) continue;
      } else {
        this.openStray(index, this.line);
      }

      // Stray text starts at this character, or at the scalar element that it follows.
      const resume = this.readStray(index, out);
      if (resume < 0) return;
      index = resume - 1;
    }
    this.index = buffer.length;
  }

  /**
   * Handles a character after a scalar element started. The element is a record only when a
   * delimiter (`,`, `]`, `}` or a line break) follows it, after spaces or none. Anything else
   * turns the element into the start of stray text: `42 records follow` is one line of text,
   * not the number 42 and three words. Returns whether the character needs no more handling.
   *
   * NOTE: text in an array that starts with a scalar and a delimiter (`null ] more`) is valid
   * JSON up to there, so the array closes early. The records after it are still read, with
   * one more rejection for the bracket that no longer closes anything.
   */
  private stepScalar(code: number, index: number, out: JsonRecord[]): boolean {
    const space = code === 0x20 || code === 0x0d || code === 0x09;
    const delimiter = code === 0x2c || code === 0x5d || code === 0x7d || code === 0x0a;
    if (this.recordScalar) {
      const tokenEnds = space || delimiter || code === 0x7b || code === 0x5b || code === 0x22;
      if (!tokenEnds) return true;

      this.recordScalar = false;
      const literal = this.buffer.slice(this.recordStart, index);
      if (!this.recordOversize && !isJson(literal)) {
        this.strayFromRecord(out);
        return false;
      }
      this.scalarEnd = index - 1;
    }

    if (space) return true;
    if (delimiter && this.isInvalidArrayElement()) {
      this.strayFromRecord(out);
      return false;
    }
    if (delimiter) {
      this.endRecord(this.scalarEnd, out);
      return false;
    }
    if (this.recordOversize) {
      // Its text is no longer kept: reject it as too large, and the text after it on its own.
      this.endRecord(this.scalarEnd, out);
      this.openStray(index, this.line);
      return false;
    }
    this.strayFromRecord(out);
    return false;
  }

  /**
   * Tells whether the open element is an array that is not valid JSON, such as `[INFO]`: it is
   * the start of a line of text, rejected with the rest of its line.
   */
  private isInvalidArrayElement(): boolean {
    if (this.recordOversize || this.buffer.charCodeAt(this.recordStart) !== 0x5b) return false;
    return !isJson(this.buffer.slice(this.recordStart, this.scalarEnd + 1));
  }

  /**
   * Starts stray text at `start`: text between records that is not JSON, or a JSON scalar where a
   * record should be (see `readStray`).
   */
  private openStray(start: number, line: number): void {
    const firstArray = this.firstArray;
    const reachesFirst = firstArray !== undefined && start <= firstArray.start;
    const checkpoint = reachesFirst ? firstArray : this.checkpoint;
    if (checkpoint !== undefined && !checkpoint.damaged && start <= checkpoint.start) {
      // Text from the checkpoint's bracket reads it as text already, and nothing framed after
      // the bracket was sent. Text that goes on past the bracket's line, as `[1,` and a `]` on
      // the next line do, is damage: only the bracket's line is text.
      if (this.line === checkpoint.line) {
        this.checkpoint = undefined;
        if (reachesFirst) this.firstArray = undefined;
      } else {
        checkpoint.damaged = true;
        this.resumeAt = STOP_SCAN;
      }
    }
    this.strayStart = start;
    this.strayLine = line;
    this.straySnippet = undefined;
    this.previous = 0;
    this.lineHasContent = true;
  }

  /**
   * Reads the open scalar element again as the start of stray text. When it is the first element
   * after a top-level `[` on the same line, the text starts at the `[`, and the array is dropped:
   * `[INFO] page 2` and `[2024-05-01 12:00:00] done` are lines of text, not arrays.
   */
  private strayFromRecord(out: JsonRecord[]): void {
    if (this.arrayOpenAt >= 0) {
      // The array has no element yet, so nothing is held.
      this.holding = false;
      this.openStray(this.arrayOpenAt, this.recordLine);
      this.mode = Mode.Top;
      this.depth = 0;
      this.rootStart = -1;
      this.arrayOpenAt = -1;
    } else {
      this.releaseHeld(out, this.recordStart);
      this.openStray(this.recordStart, this.recordLine);
    }
    this.recordStart = -1;
    this.recordScalar = false;
    this.scalarEnd = -1;
    this.inString = false;
    this.escaped = false;
    this.unit = undefined;
  }

  /**
   * Tells whether what follows a record's opening bracket on its line, from `code` at `index`,
   * makes the line text. Only a quote or a `}` can follow the `{` of an object, and only a value
   * or a `]` the `[` of an array element. A bracket that ends its line stays a record, and one
   * cut there keeps its number. Undefined when the buffer ends inside the token after a `[`.
   */
  private bracketText(code: number, index: number): boolean | undefined {
    const root = this.mode === Mode.Root && this.depth === 1 && this.rootStart >= 0;
    if (root && this.previous === 0x7b) {
      return this.rootLine === this.line && code !== 0x22 && code !== 0x7d;
    }
    if (this.recordStart < 0 || this.recordOversize) return false;
    if (this.depth !== this.recordDepth + 1 || this.recordLine !== this.line) return false;

    const open = this.buffer.charCodeAt(this.recordStart);
    if (open !== this.previous) return false;
    if (open === 0x7b) return code !== 0x22 && code !== 0x7d;
    if (code === 0x5d || code === 0x22 || code === 0x7b || code === 0x5b) return false;
    if (!startsJsonValue(code)) return true;
    return this.literalIsText(index);
  }

  /**
   * Tells whether the token at `index`, which starts like a number, `true`, `false` or `null`,
   * is not one, as `flush` or `0page` is not. Undefined when the buffer ends inside it.
   */
  private literalIsText(index: number): boolean | undefined {
    const buffer = this.buffer;
    const end = Math.min(buffer.length, index + OBJECT_LOOKAHEAD);
    let at = index;
    while (at < end && !isTokenEnd(buffer.charCodeAt(at))) at++;
    if (at === buffer.length && !this.inputEnded && at < index + OBJECT_LOOKAHEAD) return undefined;
    return !isJson(buffer.slice(index, at));
  }

  /**
   * Reads the record, or root object, that `bracketText` found to be a line of text, such as
   * `{ WARNING: partial flush`, again as stray text from its bracket. It takes no record number.
   */
  private strayFromBrace(out: JsonRecord[]): void {
    if (this.recordStart >= 0) {
      this.depth = this.recordDepth;
      this.strayFromRecord(out);
      return;
    }
    this.openStray(this.rootStart, this.rootLine);
    this.mode = Mode.Top;
    this.depth = 0;
    this.rootStart = -1;
    this.keyStart = -1;
    this.unit = undefined;
  }

  /**
   * Tells whether the `{` that opened the open record or root object ended its line and `code`,
   * the first character after it, cannot follow it in JSON: only a key's quote or a `}` can. A
   * `{` line followed by a line of text is then two lines of text, not a cut record.
   */
  private braceLineIsText(code: number): boolean {
    if (code === 0x22 || code === 0x7d) return false;
    if (this.mode === Mode.Root && this.depth === 1 && this.recordStart < 0) {
      return this.rootStart >= 0 && this.rootLine !== this.line;
    }
    if (this.recordStart < 0 || this.recordOversize || this.depth !== this.recordDepth + 1) {
      return false;
    }
    return this.recordLine !== this.line && this.buffer.charCodeAt(this.recordStart) === 0x7b;
  }

  /**
   * Rejects the line of the `{` that `braceLineIsText` found to be text, and puts the scanner
   * back at the depth where the `{` opened, so that the character after it is read anew.
   */
  private rejectBraceLine(out: JsonRecord[]): void {
    const inRecord = this.recordStart >= 0;
    const start = inRecord ? this.recordStart : this.rootStart;
    const line = inRecord ? this.recordLine : this.rootLine;
    const end = this.buffer.indexOf('\n', start);
    const text = this.buffer.slice(start, end < 0 ? this.buffer.length : end).trim();
    this.emit(out, rejectStrayText(text, this.textNumber(), line));
    this.resumeFraming(inRecord);
  }

  /**
   * Resumes framing after a rejected unit: at the record's depth when the unit sat in an array
   * of records (bare or a wrapper's), else at the top level.
   */
  private resumeFraming(inRecord: boolean): void {
    if (inRecord) {
      this.depth = this.recordDepth;
    } else {
      this.depth = 0;
      this.mode = Mode.Top;
      this.rootStart = -1;
      this.keyStart = -1;
    }
    this.recordStart = -1;
    this.arrayOpenAt = -1;
    this.unit = undefined;
    this.previous = 0;
    this.wrapperUndecided = false;
  }

  /**
   * Tells whether `code` is a closing bracket that starts its line and closes no open bracket,
   * between records or in a record that it shows to be damaged.
   */
  private isStrayClose(code: number): boolean {
    if (code !== 0x7d && code !== 0x5d) return false;
    if (this.lineHasContent || (this.unit === undefined && this.recordStart >= 0)) return false;
    return !this.closesContainer(code);
  }

  /**
   * Tells whether `code` is a `]` that starts its line and closes the record array, between
   * records. The text that may follow it on its line is checked as after a stray bracket.
   */
  private isRecordArrayClose(code: number): boolean {
    if (code !== 0x5d || this.lineHasContent || this.unit !== undefined) return false;
    if (this.recordStart >= 0) return false;
    return (
      (this.mode === Mode.Array && this.depth === 1) ||
      (this.mode === Mode.Wrapper && this.depth === 2)
    );
  }

  /**
   * Tells whether text follows the closing bracket before `from` on its line, as in `} trailing`
   * or `}}`. The line is then one stray text, so it is rejected once.
   *
   * After a stray bracket, text is a character other than a space, a comma or a `[`, a `{` that
   * opens no object (see `opensObjectAt`), or a second bracket that closes nothing either. A
   * bracket that closes the open array, as in `}]`, is JSON that goes on. After the `]` of the
   * record array, text is what JSON cannot go on with (see `continuesAfterArray`).
   *
   * Undefined when the buffer ends first. Only `OBJECT_LOOKAHEAD` characters are looked at, so
   * that a long run of spaces keeps no more text than that in the buffer.
   */
  private closeStartsText(from: number): boolean | undefined {
    const buffer = this.buffer;
    const closesArray = this.closesContainer(buffer.charCodeAt(from - 1));
    const end = Math.min(buffer.length, from + OBJECT_LOOKAHEAD);
    for (let index = from; index < end; index++) {
      const code = buffer.charCodeAt(index);
      if (code === 0x20 || code === 0x09 || code === 0x0d) continue;
      if (code === 0x0a || code === 0x5b) return false;
      if (closesArray) return !continuesAfterArray(code);
      if (code === 0x2c) continue;
      if (code === 0x7d || code === 0x5d) return !this.closesContainer(code);
      if (code === 0x7b) {
        const opens = this.opensObjectAt(index + 1);
        if (opens === undefined && !this.inputEnded) return undefined;
        return opens !== true;
      }
      return true;
    }
    if (end < buffer.length || this.inputEnded) return false;
    return from + OBJECT_LOOKAHEAD <= buffer.length ? false : undefined;
  }

  /**
   * Reads stray text from `from` to its end: its line break, or a `{` that opens a JSON object
   * (see `opensObjectAt`), so that a record written after the text on its line is still read.
   * Rejects the text as one record, and returns the index where scanning goes on, or -1 when
   * the buffer ends first (then `index` is where reading resumes).
   *
   * NOTE: in a JSON document written on one line, text between two elements runs to the end
   * of that line, which may include the closing brackets: its records are read, and the input
   * then ends before the document closes.
   */
  private readStray(from: number, out: JsonRecord[]): number {
    const buffer = this.buffer;
    for (let index = from; index < buffer.length; index++) {
      const code = buffer.charCodeAt(index);
      if (code === 0x0a) {
        this.endStray(index, out);
        return index;
      }
      if (code !== 0x7b) continue;

      const opens = this.opensObjectAt(index + 1);
      if (opens === undefined) {
        this.index = index;
        return -1;
      }
      if (opens) {
        this.endStray(index, out);
        return index;
      }
    }
    this.index = buffer.length;
    return -1;
  }

  /**
   * Tells whether the `{` before `from` opens a JSON object: the first character after it that
   * is not whitespace, within `OBJECT_LOOKAHEAD` characters, is `"`, or a `}` on the same line.
   * So `{x}` in a line of text stays text, and so does a `{` that ends a line of text before a
   * line that starts with `}`. Undefined when the buffer ends before that is known.
   */
  private opensObjectAt(from: number): boolean | undefined {
    const buffer = this.buffer;
    const end = Math.min(buffer.length, from + OBJECT_LOOKAHEAD);
    let lineEnded = false;
    for (let index = from; index < end; index++) {
      const code = buffer.charCodeAt(index);
      if (code === 0x22) return true;
      if (code === 0x7d) return !lineEnded;
      if (code === 0x0a) lineEnded = true;
      else if (code !== 0x20 && code !== 0x0d && code !== 0x09) return false;
    }
    return from + OBJECT_LOOKAHEAD <= buffer.length ? false : undefined;
  }

  /** Rejects the open stray text, which ends before `end`. */
  private endStray(end: number, out: JsonRecord[]): void {
    const start = this.strayStart;
    const number = this.textNumber();
    if (this.straySnippet !== undefined || end - start > this.options.maxRecordLength) {
      const snippet = this.straySnippet ?? this.buffer.slice(start, start + SNIPPET_LENGTH).trim();
      this.emit(out, tooLarge(number, this.strayLine, snippet, this.options));
    } else {
      const text = this.buffer.slice(start, end).trim();
      this.emit(out, rejectStrayText(text, number, this.strayLine));
    }
    this.strayStart = -1;
    this.straySnippet = undefined;
  }

  /**
   * Handles the line break at `index`: it ends a scalar element, and rejects a unit whose string
   * it falls in. A string element that it cuts is rejected as a line of text, with no resync.
   */
  private endLine(index: number, out: JsonRecord[]): void {
    if (this.inString && this.checkpoint?.kind === CheckpointKind.Close) {
      // A wrapper skips what follows its record array, so a string that a line break cuts there
      // is the damage that shows that the `]` line is text.
      this.damageCheckpoint();
    }
    this.lineHasContent = false;
    this.lineStart = this.dropped + index + 1;
    if (this.heldEnd >= 0) this.rejectHeldArray(out);
    // Only the line of its `[` may make a bare array a line of text, as in `[1] item`.
    if (this.holdingFirstArray) this.releaseHeld(out, index);
    if (this.resyncColumn >= 0) return;
    if (this.recordScalar || this.scalarEnd >= 0) {
      this.stepScalar(0x0a, index, out);
      if (this.strayStart >= 0) this.endStray(index, out);
      // Reading the element as stray text marked the ending line, not the next one.
      this.lineHasContent = false;
      return;
    }
    const unit = this.unit;
    if (unit !== undefined && this.inString) {
      if (this.recordStart >= 0 && this.depth === this.recordDepth && !this.recordOversize) {
        // A string element cut by a line break is a line of text that starts with a quote.
        this.strayFromRecord(out);
        this.endStray(index, out);
        this.lineHasContent = false;
        return;
      }
      const message = 'a line break inside a string: the record is cut or damaged';
      if (this.rejectUnit(message, index, out)) {
        if (this.strayStart >= 0) this.endStray(index, out);
        this.lineHasContent = false;
      } else if (this.resumeAt < 0) {
        this.resyncColumn = unit.column;
        this.resyncMinColumn = this.minRecordColumn(this.mode !== Mode.Top);
      }
    }
    this.arrayOpenAt = -1;
  }

  /**
   * Tells whether the character at `index`, met while looking for the record after a damaged
   * one, starts it: a `{` that begins its line in the damaged record's column, or left of it as
   * far as `resyncMinColumn`. The objects nested in the damaged record are indented deeper.
   * NOTE: so records indented deeper than the damaged one are not found, and are lost up to the
   * next `{` in that range of columns.
   */
  private resumesAt(code: number, index: number): boolean {
    if (code === 0x20 || code === 0x0d || code === 0x09) return false;
    if (this.lineHasContent) return false;

    this.lineHasContent = true;
    const column = this.dropped + index - this.lineStart;
    this.lineIndent = column;
    return code === 0x7b && column >= this.resyncMinColumn && column <= this.resyncColumn;
  }

  /**
   * Returns the least column where a record may start after a damaged one: the record array's
   * indentation for an element, else 0 for a top-level value.
   */
  private minRecordColumn(inRecord: boolean): number {
    return inRecord ? this.recordArrayIndent : 0;
  }

  /**
   * Rejects the open unit as damaged at `end` and puts the scanner back at the depth where it
   * started, outside any string, so that the next record is framed from its own first bracket.
   *
   * A unit cut after a colon or a `[` takes the next record's `{` as a value, so its damage shows
   * only records later. When a whole record starts inside the unit (see `findRecordInside`), only
   * the text before that record is rejected, and scanning goes on from it (`resumeAt`).
   * Returns whether the unit is a line of text, which takes no record number. When the damage is
   * on that line, the line is opened as stray text (`strayStart`) and not yet rejected.
   */
  private rejectUnit(message: string, end: number, out: JsonRecord[]): boolean {
    this.releaseHeld(out, end);
    const inRecord = this.recordStart >= 0;
    const start = inRecord ? this.recordStart : this.rootStart;
    const oversize = inRecord ? this.recordOversize : this.rootOversize;
    const unitLine = inRecord ? this.recordLine : this.rootLine;
    // NOTE: the text of a unit over the record length limit is no longer kept, so no record
    // inside it can be found, and the records that it took are lost with it.
    const column = this.unit?.column ?? -1;
    const minColumn = this.minRecordColumn(inRecord);
    const resume =
      oversize || column < 0 ? -1 : this.findRecordInside(start, end, column, minColumn);
    const stop = resume >= 0 ? resume : end;

    let resumeLine = 0;
    if (resume >= 0) {
      resumeLine = unitLine + countLineBreaks(this.buffer, start, resume);
      message = `record is cut or damaged: the record at line ${resumeLine} starts before it closes`;
    }
    const text = oversize ? '' : this.buffer.slice(start, stop).trimEnd();
    // An element that opens an array and is damaged on its own line, such as `[flush` or `["x`,
    // is a line of text: only objects are records, so no record was cut there.
    const isText = text.charCodeAt(0) === 0x5b && resume < 0 && !text.includes('\n');
    if (isText && unitLine !== this.line) {
      this.emit(out, rejectStrayText(text, this.textNumber(), unitLine));
    } else if (!isText) {
      this.emit(out, {
        error: { code: 'invalid_json', message },
        ...(oversize ? {} : { snippet: text.slice(0, SNIPPET_LENGTH) }),
        record: this.numberUnit(text),
        line: unitLine,
      });
    }
    this.inString = false;
    this.escaped = false;
    this.keyStart = -1;
    this.recordScalar = false;
    this.scalarEnd = -1;
    this.resumeFraming(inRecord);
    if (resume >= 0) this.resumeFrom(resume, resumeLine);
    // Text damaged on its own line goes on to the line's end, where it is rejected as one.
    if (isText && unitLine === this.line) this.openStray(start, unitLine);
    return isText;
  }

  /**
   * Gives a rejected unit its record number. A unit that is nothing but its opening bracket,
   * such as a line of only `{`, is text between records and takes no number (see `textNumber`).
   * So a `{` written between two records shifts no number after it.
   * NOTE: a record cut right after its `{` looks the same, so the records after it are then
   * numbered one lower than in the intact file.
   */
  private numberUnit(text: string): number {
    if (text.trim() === '{') return this.textNumber();
    this.ordinal++;
    return this.ordinal;
  }

  /**
   * Returns the record number of text between records: the number of the record after it, which
   * the text does not take. Records keep the numbers they have in the input without the text,
   * which is what evidence cites, and the text itself is found by its line.
   */
  private textNumber(): number {
    return this.ordinal + 1;
  }

  /**
   * Finds the first record that starts inside the unit at `start`, damaged at `end`: a `{` that
   * starts a line after the unit's first, in a column from `minColumn` to the unit's `column`,
   * and frames as a whole record before `end`. Returns its index, or -1. Valid JSON never gets
   * here, so a nested object that starts a line in the record column is never read as a record.
   */
  private findRecordInside(start: number, end: number, column: number, minColumn: number) {
    const buffer = this.buffer;
    let tries = 0;
    let newline = buffer.indexOf('\n', start);
    while (newline >= 0 && newline < end && tries < MAX_RECORDS_TRIED) {
      const lineStart = newline + 1;
      let at = lineStart;
      while (at < end && at - lineStart < column && isSpaceOrTab(buffer.charCodeAt(at))) at++;
      if (at < end && at - lineStart >= minColumn && buffer.charCodeAt(at) === 0x7b) {
        tries++;
        if (framesRecord(buffer, at, end)) return at;
      }
      newline = buffer.indexOf('\n', lineStart);
    }
    return -1;
  }

  /** Sets the scanner to frame a record at `index`, which starts line `line`. */
  private resumeFrom(index: number, line: number): void {
    // A damaged checkpoint rolls back to before the unit, which is then read again.
    if (this.resumeAt === STOP_SCAN) return;
    this.resumeAt = index;
    this.line = line;
    this.lineStart = this.dropped + this.buffer.lastIndexOf('\n', index - 1) + 1;
    this.lineHasContent = false;
    this.resyncColumn = -1;
  }

  /** Opens a unit for the bracket at `index`, a record's or a root object's. */
  private openUnit(index: number): void {
    this.unit = { column: this.dropped + index - this.lineStart };
  }

  /**
   * Tells whether JSON allows a value after `previous`: after a colon, at the start of an array,
   * or after a comma in an array. Elsewhere a `{` means that the open record was cut.
   */
  private valueAllowed(previous: number): boolean {
    if (previous === 0x3a || previous === 0x5b) return true;
    return previous === 0x2c && this.kinds[this.depth] === 0x5b;
  }

  /**
   * Reopens the record array of a wrapper after a stray `]` closed it early, at a `{` where the
   * wrapper object allows none. The stray bracket is rejected, and the records after it are read.
   */
  private reopenWrapper(out: JsonRecord[]): void {
    if (this.checkpoint?.kind === CheckpointKind.Close) {
      // The `]` line of the checkpoint is text, and reading it as such keeps the array open.
      this.damageCheckpoint();
      return;
    }
    this.emit(out, {
      error: { code: 'invalid_json', message: 'unexpected "]" before the end of the record array' },
      record: this.textNumber(),
      line: this.line,
    });
    this.mode = Mode.Wrapper;
    this.depth = 2;
    this.kinds[2] = 0x5b;
  }

  /** Tells whether a closing bracket matches the innermost open one. */
  private closesContainer(code: number): boolean {
    if (this.depth === 0) return false;
    const open = this.kinds[this.depth];
    return code === 0x7d ? open === 0x7b : open === 0x5b;
  }

  /**
   * Rejects a closing bracket that closes no open bracket, with the commas and spaces after it
   * when it starts its line, as in `},`. After a checkpoint's `]`, such a bracket shows that the
   * `]` line is text: this bracket closes the record array.
   */
  private rejectUnmatched(code: number, index: number, startsLine: boolean, out: JsonRecord[]) {
    const checkpoint = this.checkpoint;
    if (checkpoint?.kind === CheckpointKind.Close) {
      this.damageCheckpoint();
      return;
    }
    if (startsLine && checkpoint === undefined && nextOnLine(this.buffer, index) === 0x5d) {
      // In `}]`, the `]` closes the record array: the checkpoint reads the line from its start.
      this.takeCheckpointAt(0x5d, index, false, out);
    }

    const bracket = String.fromCharCode(code);
    this.emit(out, {
      error: { code: 'invalid_json', message: `unmatched "${bracket}" between records` },
      snippet: startsLine ? closingText(this.buffer, index) : bracket,
      record: this.textNumber(),
      line: this.line,
    });
  }

  /**
   * Tells whether the closing bracket at `index` closes no open bracket, and the first character
   * after it on its line, past commas and spaces, is a closing bracket too, as in `]}`.
   */
  private closesNothingTwice(index: number): boolean {
    if (this.closesContainer(this.buffer.charCodeAt(index))) return false;
    const next = nextOnLine(this.buffer, index);
    return next === 0x7d || next === 0x5d;
  }

  /**
   * Takes a checkpoint at a bracket that starts its line, or checks a character outside strings
   * against the open checkpoint. `previous` is the character before `code`. Returns true when
   * the bracket starts a line of text, which no checkpoint is needed to tell.
   */
  private stepCheckpoint(
    code: number,
    index: number,
    previous: number,
    startsLine: boolean,
    out: JsonRecord[],
  ): boolean {
    const firstArray = this.firstArray;
    if (firstArray !== undefined && code === 0x2c && this.recordStart < 0) {
      const atValues = firstArray.valueDepth === this.depth;
      if (atValues && firstArray.comma(this.line, startsLine)) this.commitFirstArray(out);
    }

    const checkpoint = this.checkpoint;
    // An element right after one that ended, with no comma, is no JSON: the `[` line is text.
    const ended = previous === 0x7d || previous === 0x5d;
    if (checkpoint === undefined) {
      const bracketLine = startsLine && (code === 0x5b || code === 0x5d);
      const afterValue = ended || this.firstArray?.followsValue(this.depth) === true;
      if (bracketLine) this.takeCheckpointAt(code, index, afterValue, out);
      return false;
    }

    const element = code === 0x5b && startsLine && this.recordStart < 0;
    if (element && this.checkpointKind(code) === CheckpointKind.Element) {
      // The open checkpoint's bracket may be JSON, and this `[` line is text, as in a `[ {` line
      // after the first record of an array. Blaming the earlier bracket would lose more records.
      if (ended || checkpoint.followsValue(this.depth)) return true;
    }

    if (code === 0x5d && startsLine && this.closesContainer(code)) {
      if (checkpoint.closedBy(this.depth - 1)) {
        // The `]` line ends what the checkpoint waits for, and may be text itself, as `]]` is.
        this.commitCheckpoint(out);
        this.takeCheckpointAt(code, index, false, out);
        return false;
      }
    }
    if (this.mode === Mode.WrapperTail && checkpoint.kind === CheckpointKind.Close) {
      checkpoint.stepWrapperTail(code);
    } else if (code === 0x2c && checkpoint.valueDepth === this.depth && this.recordStart < 0) {
      if (checkpoint.comma(this.line, startsLine)) this.commitCheckpoint(out);
    }
    this.stopIfDamaged();
    return false;
  }

  /**
   * Takes the checkpoint of the bracket `code` at `index`, which starts its line. A `[` element
   * right after a value (`afterValue`), with no comma, is text at once. A `]` that closes the
   * record array commits the first array's checkpoint, whose `[` is then JSON.
   * NOTE: when that `]` line turns out to be text, the first array's `[` stays JSON all the same.
   */
  private takeCheckpointAt(code: number, index: number, afterValue: boolean, out: JsonRecord[]) {
    const kind = this.checkpointKind(code);
    if (kind === CheckpointKind.Close) this.commitFirstArray(out);
    this.takeCheckpoint(kind, index, out);
    if (afterValue && kind === CheckpointKind.Element) this.damageCheckpoint();
  }

  /**
   * Takes a checkpoint of `kind` at the bracket at `index`, which starts its line, before the
   * bracket is read as JSON. Nothing is taken while a record, a root object, a held array or
   * another checkpoint is open, but the first array's (see `firstArray`).
   */
  private takeCheckpoint(kind: CheckpointKind | undefined, index: number, out: JsonRecord[]) {
    if (kind === undefined || this.checkpoint !== undefined || this.recordStart >= 0) return;
    if (this.unit !== undefined || this.holding) return;

    // Each bracket line of a run that is text rolls back over the text after it once.
    if (!this.rollBackBudget.allows(this.dropped + index)) return;

    // The held wrapper record comes before the `]`, so it is sent before what follows is held.
    this.flushPending(out);
    const state: ScannerState = {
      mode: this.mode,
      depth: this.depth,
      kinds: this.kinds.slice(0, this.depth + 1),
      ordinal: this.ordinal,
      firstRecordInArray: this.firstRecordInArray,
      lineStart: this.lineStart,
    };
    if (this.firstArray !== undefined) state.firstArrayChecks = this.firstArray.saveChecks();

    if (kind === CheckpointKind.Array && this.firstRecordInArray === undefined) {
      this.firstArray = new Checkpoint(kind, index, this.line, state, true);
    } else {
      this.checkpoint = new Checkpoint(kind, index, this.line, state);
    }
  }

  /**
   * Marks the open checkpoint, or else the first array's, as damaged (see `Checkpoint.damaged`),
   * which stops the scan.
   */
  private damageCheckpoint(): void {
    const checkpoint = this.checkpoint ?? this.firstArray;
    if (checkpoint === undefined) return;
    checkpoint.damaged = true;
    this.resumeAt = STOP_SCAN;
  }

  /** Stops the scan when a check of a checkpoint found it damaged. */
  private stopIfDamaged(): void {
    if (this.checkpoint?.damaged || this.firstArray?.damaged) this.resumeAt = STOP_SCAN;
  }

  /**
   * Returns the kind of checkpoint that the bracket `code` takes when it starts a line, or
   * undefined when reading it as JSON frames records no differently from reading it as text.
   */
  private checkpointKind(code: number): CheckpointKind | undefined {
    if (code === 0x5d) {
      const array = this.mode === Mode.Array && this.depth === 1;
      return array || (this.mode === Mode.Wrapper && this.depth === 2)
        ? CheckpointKind.Close
        : undefined;
    }
    if (!this.atRecordBoundary()) return undefined;
    return this.mode === Mode.Top ? CheckpointKind.Array : CheckpointKind.Element;
  }

  /** Marks the end of a value for the checkpoint's comma checks (see `Checkpoint.endValue`). */
  private endValue(whole: boolean, object: boolean): void {
    const checkpoint = this.checkpoint;
    if (checkpoint?.valueDepth === this.depth) checkpoint.endValue(whole, object);
    const firstArray = this.firstArray;
    if (firstArray?.valueDepth === this.depth) firstArray.endValue(whole, object);
    this.stopIfDamaged();
  }

  /**
   * Ends the checkpoint, whose bracket is JSON, and sends what was framed after it. A damaged
   * checkpoint stays for the roll-back, which comes before the next character is scanned.
   */
  private commitCheckpoint(out: JsonRecord[]): void {
    const checkpoint = this.checkpoint as Checkpoint<ScannerState>;
    if (checkpoint.damaged) return;
    this.checkpoint = undefined;
    for (const record of checkpoint.output) this.send(out, record);
  }

  /** Ends the first array's checkpoint, whose `[` is JSON, and sends its records. */
  private commitFirstArray(out: JsonRecord[]): void {
    const firstArray = this.firstArray;
    if (firstArray === undefined || firstArray.damaged) return;
    this.firstArray = undefined;
    // Its records come before the bracket of any open checkpoint.
    for (const record of firstArray.output) out.push(record);
  }

  /** Commits the checkpoints that a bracket closing down to `depth` ends (see `closedBy`). */
  private commitClosed(out: JsonRecord[]): void {
    if (this.checkpoint?.closedBy(this.depth)) this.commitCheckpoint(out);
    if (this.firstArray?.closedBy(this.depth)) this.commitFirstArray(out);
  }

  /**
   * Commits the checkpoint once the text after its bracket is longer than the record length
   * limit, or more than `MAX_HELD_ELEMENTS` records were framed after it. That bounds the text
   * kept and the records held.
   * NOTE: a bracket line of text whose damage shows only past that bound is read as JSON. A `[`
   * element then takes the rest of its record array as one record over the limit.
   */
  private boundCheckpoint(out: JsonRecord[]): void {
    if (this.firstArray !== undefined && this.pastBound(this.firstArray)) {
      this.commitFirstArray(out);
    }
    if (this.checkpoint !== undefined && this.pastBound(this.checkpoint)) {
      this.commitCheckpoint(out);
    }
  }

  private pastBound(checkpoint: Checkpoint<ScannerState>): boolean {
    const length = this.buffer.length - checkpoint.start;
    return length > this.options.maxRecordLength || checkpoint.output.length > MAX_HELD_ELEMENTS;
  }

  /**
   * Ends the checkpoints left at the end of the input. A `[` whose array or record array is still
   * open is text, and the scan rolls back to it. A `]` that closed the record array is JSON.
   */
  private endCheckpoint(out: JsonRecord[]): void {
    // The end of the input ends the line of a held array's `]` (see `heldEnd`).
    if (this.heldEnd >= 0) this.rejectHeldArray(out);
    while (this.checkpoint !== undefined || this.firstArray !== undefined) {
      if (this.checkpoint?.kind === CheckpointKind.Close && !this.checkpoint.damaged) {
        this.commitCheckpoint(out);
      } else {
        this.damageCheckpoint();
        this.scan(out);
      }
    }
  }

  /**
   * Puts the scanner back to its checkpoint, drops what was framed after the bracket, and reads
   * the bracket's line as text from the bracket. The records after it are then framed again.
   */
  private rollBack(): void {
    // The first array's checkpoint comes first, so its roll-back drops the other one.
    const firstArray = this.firstArray?.damaged ? this.firstArray : undefined;
    const checkpoint = firstArray ?? (this.checkpoint as Checkpoint<ScannerState>);
    this.checkpoint = undefined;
    if (firstArray !== undefined) this.firstArray = undefined;
    this.rollBackBudget.spend(this.dropped + this.index);

    const state = checkpoint.state;
    if (state.firstArrayChecks !== undefined)
      this.firstArray?.restoreChecks(state.firstArrayChecks);
    this.mode = state.mode;
    this.depth = state.depth;
    for (let depth = 0; depth < state.kinds.length; depth++) {
      this.kinds[depth] = state.kinds[depth] as number;
    }
    this.ordinal = state.ordinal;
    this.firstRecordInArray = state.firstRecordInArray;
    this.line = checkpoint.line;
    this.lineStart = state.lineStart;

    this.inString = false;
    this.escaped = false;
    this.recordStart = -1;
    this.recordScalar = false;
    this.scalarEnd = -1;
    this.arrayOpenAt = -1;
    this.keyStart = -1;
    this.rootStart = -1;
    this.wrapperUndecided = false;
    this.unit = undefined;
    this.resyncColumn = -1;
    this.resumeAt = -1;
    this.pending = undefined;
    this.holding = false;
    this.clearHeld();
    this.index = checkpoint.start;
    this.openStray(checkpoint.start, checkpoint.line);
  }

  /** Handles one character outside strings. */
  private step(code: number, index: number, out: JsonRecord[]): void {
    const opens = code === 0x7b || code === 0x5b;
    const closes = code === 0x7d || code === 0x5d;
    const startsLine = !this.lineHasContent;
    this.lineHasContent = true;
    if (startsLine) this.lineIndent = this.dropped + index - this.lineStart;

    const previous = this.previous;
    this.previous = code;
    if (this.unit !== undefined && code === 0x7b && !this.valueAllowed(previous)) {
      this.rejectUnit('a record starts before this one closes: it is cut or damaged', index, out);
      if (this.resumeAt >= 0 || this.strayStart >= 0) return;
      this.previous = code;
    }
    if (this.mode === Mode.WrapperTail && this.depth === 1 && code === 0x7b) {
      if (!this.valueAllowed(previous)) this.reopenWrapper(out);
    }

    if (closes && !this.closesContainer(code) && this.unit !== undefined) {
      const bracket = String.fromCharCode(code);
      const array = this.recordStart >= 0 && this.kinds[this.recordDepth] === 0x5b;
      const message =
        array && code === 0x5d
          ? 'the record array closes before this record does: it is cut or damaged'
          : `a "${bracket}" that closes no open bracket`;
      this.rejectUnit(message, index, out);
      if (this.resumeAt >= 0 || this.strayStart >= 0) return;
      // The bracket may close the array that the damaged record was in, as the `]` of a page
      // whose last record is cut does: it is read again at the record array's depth.
      this.previous = code;
    }
    if (closes && !this.closesContainer(code)) {
      this.rejectUnmatched(code, index, startsLine, out);
      return;
    }

    const bracketLine = startsLine && (code === 0x5b || code === 0x5d);
    if (bracketLine || this.checkpoint !== undefined || this.firstArray !== undefined) {
      if (this.stepCheckpoint(code, index, previous, startsLine, out)) {
        this.openStray(index, this.line);
        return;
      }
    }

    if (this.recordStart < 0 && this.atRecordBoundary() && code !== 0x2c && !closes) {
      this.startRecord(index, out);
    }

    if (code === 0x22) {
      this.inString = true;
      if (this.mode === Mode.Root && this.depth === 1 && this.recordStart < 0) {
        this.keyStart = index + 1;
      }
      return;
    }

    if (opens) {
      this.depth++;
      this.kinds[this.depth] = code;
      if (this.recordStart >= 0) {
        if (this.depth - this.recordDepth > this.options.maxDepth) this.recordTooDeep = true;
      } else if (this.mode === Mode.Root && this.depth > this.options.maxDepth) {
        // A root object is a record itself unless it turns out to be a wrapper.
        this.rootTooDeep = true;
      }
      this.afterOpen(code, index);
      return;
    }

    if (closes) {
      this.depth--;
      if (this.recordStart >= 0 && this.depth === this.recordDepth) {
        // An array element is a record only when a delimiter follows it, as a scalar element is:
        // `[INFO] done` is a line of text (see `stepScalar`).
        if (code === 0x5d) this.scalarEnd = index;
        else this.endRecord(index, out);
        // An element that closes on the line of its `[` is one line of JSON. Text after it on
        // that line, as in `[1] item`, makes the line text (see `stepScalar`).
        const checkpoint = this.checkpoint;
        if (checkpoint?.kind === CheckpointKind.Element && checkpoint.line === this.line) {
          this.commitCheckpoint(out);
        }
      } else {
        this.afterClose(index, out);
      }
      return;
    }

    // A scalar record (number, true, false, null) ends at the next delimiter.
    if (this.recordStart === index && this.depth === this.recordDepth) this.recordScalar = true;
  }

  private atRecordBoundary(): boolean {
    if (this.mode === Mode.Top) return this.depth === 0;
    if (this.mode === Mode.Array) return this.depth === 1;
    if (this.mode === Mode.Wrapper) return this.depth === 2;
    return false;
  }

  private startRecord(index: number, out: JsonRecord[]): void {
    const checkpoint = this.checkpoint;
    const opening = this.buffer.charCodeAt(index);
    if (this.depth === 1) this.firstArray?.startElement();
    if (checkpoint?.kind === CheckpointKind.Array && this.depth === 1) {
      checkpoint.startElement();
      this.stopIfDamaged();
    } else if (checkpoint?.showsRecordArray(this.depth, index, opening, false)) {
      this.commitCheckpoint(out);
    }
    this.flushPending(out);
    if (this.holding && opening === 0x7b) this.releaseHeld(out, index);
    if (this.mode !== Mode.Top) this.openUnit(index);
    this.recordStart = index;
    this.recordLine = this.line;
    this.recordDepth = this.depth;
    this.recordOversize = false;
    this.recordTooDeep = false;
  }

  private afterOpen(code: number, index: number): void {
    if (this.mode === Mode.Top && this.depth === 1) {
      // A top-level array or object: not a record yet, until we know its shape.
      this.recordStart = -1;
      this.mode = code === 0x5b ? Mode.Array : Mode.Root;
      if (code === 0x7b) this.openUnit(index);
      else this.unit = undefined;
      if (code === 0x5b) this.arrayOpenAt = index;
      if (code === 0x5b) this.recordArrayIndent = this.lineIndent;
      this.holding = code === 0x5b;
      this.holdingFirstArray = this.holding && this.firstRecordInArray === undefined;
      this.rootStart = index;
      this.rootLine = this.line;
      this.rootOversize = false;
      this.rootTooDeep = false;
      this.lastKey = '';
      this.rootHasSchema = false;
      return;
    }
    if (this.mode === Mode.Root && this.depth === 2 && code === 0x5b) {
      this.wrapperUndecided = isWrapperKey(this.lastKey, this.rootHasSchema);
      this.recordArrayIndent = this.lineIndent;
    }
  }

  /**
   * Decides from `code` at `index`, the first character of a wrapper key's array other than a
   * space, whether the root object is a wrapper. A `{` or text starts a record array, and a `]`
   * an empty array, which leaves the root a record. A scalar or an array as the first element
   * also leaves it a record. But a scalar followed by text, such as `2024-05-01 export`, is
   * text, and a bracket line may be text, such as `[INFO] first page`: the scan then goes on with
   * a checkpoint that keeps the wrapper's state. Returns false when the buffer ends before the
   * scalar's line shows which it is.
   */
  private decideWrapper(code: number, index: number, out: JsonRecord[]): boolean {
    if (this.mode !== Mode.Root || this.depth !== 2) {
      this.wrapperUndecided = false;
      return true;
    }
    const scalar = code !== 0x5b && code !== 0x5d && code !== 0x7b && startsJsonValue(code);
    const text = scalar ? startsTextLine(this.buffer, index, this.inputEnded) : false;
    if (text === undefined) return false;
    this.wrapperUndecided = false;

    // A new page, or a record with a wrapper key, shows that the `]` line before it closed the
    // last page.
    if (this.checkpoint?.kind === CheckpointKind.Close) this.commitCheckpoint(out);
    if (code === 0x7b || text || (code !== 0x5d && !startsJsonValue(code))) {
      // A root whose array starts with text is no valid record either: read it as a wrapper,
      // so that the records after the text are kept. Each record is a unit of its own.
      this.mode = Mode.Wrapper;
      this.unit = undefined;
      return true;
    }
    const bracketLine = !this.lineHasContent && (code === 0x5b || code === 0x5d);
    if (!bracketLine || this.checkpoint !== undefined) return true;
    if (!this.rollBackBudget.allows(this.dropped + index)) return true;

    this.checkpoint = new Checkpoint(CheckpointKind.WrapperStart, index, this.line, {
      mode: Mode.Wrapper,
      depth: 2,
      kinds: this.kinds.slice(0, 3),
      ordinal: this.ordinal,
      firstRecordInArray: this.firstRecordInArray,
      lineStart: this.lineStart,
    });
    return true;
  }

  private rootStart = -1;
  private rootLine = 0;
  /** True after a wrapper key's array opened in a root object, until `decideWrapper` runs. */
  private wrapperUndecided = false;
  /** True once the root object has had a schema key (`isWrapperKey`). */
  private rootHasSchema = false;
  private rootOversize = false;
  private rootTooDeep = false;

  /**
   * True inside a top-level array until an element that is an object starts. After a record,
   * such an array is one value of the stream: when it closes with no object in it, it is
   * rejected as one record, as a `null` or `42` there is. Until then its elements are held.
   * Text after its `]` on its line makes the line text, as in `[1] item` (see `heldEnd`).
   */
  private holding = false;
  /**
   * True when the held array is the first value of the input: a bare array, whose elements are
   * records even when none is an object, unless it closes on the line of its `[` and text
   * follows it there. Its elements are held to the end of that line only.
   */
  private holdingFirstArray = false;
  /** Elements framed while `holding`, not yet sent. */
  private held: JsonRecord[] = [];
  /** Elements framed while `holding`, counting those dropped past the bound. */
  private heldCount = 0;
  /** The start of a held array whose text passed the bound and is no longer kept. */
  private heldSnippet: string | undefined;
  /**
   * Index in `buffer` of the `]` that closed a held array, until its line shows whether text
   * follows it (`[1] item` is a line of text), else -1.
   */
  private heldEnd = -1;

  /**
   * Sends the held elements as records, once the array turns out to contain records or text.
   * Past the bound, the elements before the first object are rejected as one run.
   * NOTE: a valid array whose first object follows more than `MAX_HELD_ELEMENTS` elements, or
   * more text than the record length limit, counts that run as one rejected record.
   */
  private releaseHeld(out: JsonRecord[], end: number): void {
    if (!this.holding) return;
    this.boundHeld(end);
    this.holding = false;
    if (this.heldCount > 0) this.firstRecordInArray ??= true;
    if (this.heldSnippet === undefined) {
      for (const record of this.held) this.emit(out, record);
    } else {
      const count = this.heldCount;
      const message = `the ${count} elements before the first object of the array are not records`;
      this.emit(out, {
        error: { code: 'unexpected_shape', message },
        snippet: this.heldSnippet,
        record: this.ordinal - count + 1,
        line: this.rootLine,
      });
    }
    this.clearHeld();
  }

  private clearHeld(): void {
    this.held = [];
    this.heldCount = 0;
    this.heldSnippet = undefined;
    this.heldEnd = -1;
  }

  /**
   * Rejects a held array that closed with no object in it as one record between records. It
   * takes no record number, and its elements give theirs back. An empty array is dropped. The
   * elements of a bare array are sent as its records.
   */
  private rejectHeldArray(out: JsonRecord[]): void {
    if (this.holdingFirstArray) {
      this.releaseHeld(out, this.heldEnd + 1);
      this.rootStart = -1;
      this.commitClosed(out);
      return;
    }
    this.boundHeld(this.heldEnd + 1);
    this.ordinal -= this.heldCount;
    const number = this.textNumber();
    if (this.heldCount === 0) {
      // An empty array is dropped, as an input of only `[]` is.
    } else if (this.heldSnippet !== undefined) {
      const message = `a JSON array of ${this.heldCount} elements between records is not a record`;
      this.emit(out, {
        error: { code: 'unexpected_shape', message },
        snippet: this.heldSnippet,
        record: number,
        line: this.rootLine,
      });
    } else {
      const text = this.buffer.slice(this.rootStart, this.heldEnd + 1);
      this.emit(out, rejectStrayText(text, number, this.rootLine));
    }
    this.holding = false;
    this.rootStart = -1;
    this.clearHeld();
    // No text follows the array on the line of its `]`, so a `[` line it started is JSON.
    this.commitClosed(out);
  }

  /**
   * Handles the first character after a held array closed, other than a space or a line break.
   * A record after it ends the array, which is then rejected. Anything else makes the array the
   * start of a line of text, read from its `[`. Returns whether stray text was opened.
   */
  private textFollowsHeldArray(code: number, index: number, out: JsonRecord[]): boolean {
    const continues = startsJsonValue(code) || code === 0x2c || code === 0x5d || code === 0x7d;
    if (this.heldCount === 0 && continues) {
      // JSON may follow an empty array, as `null` follows `[]` in `[] null`: the array is dropped.
      this.rejectHeldArray(out);
      return false;
    }
    if (code === 0x7b || code === 0x5b || this.heldSnippet !== undefined) {
      this.rejectHeldArray(out);
      if (code === 0x7b || code === 0x5b) return false;
      this.openStray(index, this.line);
      return true;
    }
    this.ordinal -= this.heldCount;
    this.holding = false;
    this.openStray(this.rootStart, this.rootLine);
    this.rootStart = -1;
    this.clearHeld();
    return true;
  }

  private afterClose(index: number, out: JsonRecord[]): void {
    if (this.mode === Mode.Wrapper && this.depth === 1) {
      this.commitClosed(out);
      this.flushPending(out);
      this.mode = Mode.WrapperTail;
      return;
    }
    if (this.depth !== 0) return;
    this.unit = undefined;
    // An array with no element framed, or none ended on the line of its `[`, is empty.
    const empty =
      this.mode === Mode.Array && (this.arrayOpenAt >= 0 || (this.holding && this.heldCount === 0));
    this.arrayOpenAt = -1;
    if ((this.holding && this.heldCount > 0) || empty) {
      // Whether the array is a value or the start of a line of text, as `[]x` is, shows after it.
      // A checkpoint at its `[` stays until then (see `rejectHeldArray`).
      this.heldEnd = index;
      this.mode = Mode.Top;
      return;
    }
    this.commitClosed(out);
    this.holding = false;
    if (this.mode === Mode.Root) {
      // A root object without a record array is itself one record.
      this.endValue(true, true);
      this.ordinal++;
      this.firstRecordInArray ??= false;
      const text = this.rootOversize ? '' : this.buffer.slice(this.rootStart, index + 1);
      const record = this.makeRecord(
        text,
        this.ordinal,
        this.rootLine,
        this.rootOversize,
        this.rootTooDeep,
      );
      const checkpoint = this.checkpoint;
      if (checkpoint?.kind === CheckpointKind.WrapperStart) {
        // Invalid JSON shows that the bracket line of the first element is text in a wrapper.
        if (record.error?.code === 'invalid_json') {
          this.damageCheckpoint();
          return;
        }
        if (this.buffer.charCodeAt(checkpoint.start) === 0x5d) checkpoint.closeRecordArray();
        else this.commitCheckpoint(out);
      }
      record.root = true;
      this.emit(out, record);
      this.rootOversize = false;
    }
    this.mode = Mode.Top;
    this.rootStart = -1;
  }

  private endRecord(index: number, out: JsonRecord[]): void {
    this.ordinal++;
    const text = this.recordOversize ? '' : this.buffer.slice(this.recordStart, index + 1);
    const record = this.makeRecord(
      text,
      this.ordinal,
      this.recordLine,
      this.recordOversize,
      this.recordTooDeep,
    );
    const valid = record.error === undefined;
    const object = valid && this.buffer.charCodeAt(this.recordStart) === 0x7b;
    this.endValue(record.error?.code !== 'invalid_json', object);
    // Held elements may turn out to be a line of text (see `releaseHeld`).
    const inArray = this.mode === Mode.Array || this.mode === Mode.Wrapper;
    if (!this.holding) this.firstRecordInArray ??= inArray;
    const start = this.recordStart;
    if (this.checkpoint?.showsRecordArray(this.depth, start, 0, valid)) this.commitCheckpoint(out);
    const column = this.unit?.column ?? -1;
    const isObject = !this.recordOversize && this.buffer.charCodeAt(this.recordStart) === 0x7b;
    if (this.mode === Mode.Wrapper && isObject && column >= 0) {
      this.flushPending(out);
      const start = this.recordStart;
      this.pending = { record, start, line: this.recordLine, column, ordinal: this.ordinal };
    } else if (!this.holding) {
      this.emit(out, record);
    } else {
      this.heldCount++;
      if (this.heldSnippet === undefined) this.held.push(record);
    }
    this.recordStart = -1;
    this.recordScalar = false;
    this.scalarEnd = -1;
    this.arrayOpenAt = -1;
    this.unit = undefined;
  }

  private makeRecord(
    text: string,
    record: number,
    line: number,
    oversize: boolean,
    tooDeep: boolean,
  ): JsonRecord {
    if (oversize || text.length > this.options.maxRecordLength) {
      return tooLarge(record, line, text, this.options);
    }
    if (tooDeep) return tooDeepRecord(record, line, text, this.options);
    return parseRecord(text, record, line);
  }

  /**
   * Sends the held elements of a bare array once its text passes the record length limit, or
   * more than `MAX_HELD_ELEMENTS` elements are held. A line that long is no line of text, so the
   * array is read as JSON, and the memory held stays bounded.
   */
  private boundFirstArray(out: JsonRecord[]): void {
    if (!this.holding || !this.holdingFirstArray) return;
    const length = this.buffer.length - this.rootStart;
    if (length <= this.options.maxRecordLength && this.held.length <= MAX_HELD_ELEMENTS) return;
    if (this.heldEnd >= 0) this.rejectHeldArray(out);
    else this.releaseHeld(out, this.buffer.length);
  }

  /** Stops holding the text and elements of a held array past the bound (see `MAX_HELD_ELEMENTS`). */
  private boundHeld(end: number): void {
    if (!this.holding || this.heldSnippet !== undefined || this.holdingFirstArray) return;
    const length = end - this.rootStart;
    if (length <= this.options.maxRecordLength && this.held.length <= MAX_HELD_ELEMENTS) return;
    this.heldSnippet = this.buffer.slice(this.rootStart, this.rootStart + SNIPPET_LENGTH).trim();
    this.held = [];
  }

  /** Drops scanned text that no record still needs, and marks records over the size limit. */
  private compact(): void {
    // Scanning may wait at a bracket before the end of the buffer (see `closeStartsText` and
    // `literalIsText`).
    let keep = this.index;
    if (this.recordStart >= 0) keep = this.recordStart;
    if (this.strayStart >= 0) {
      // Only the text before `index` is known to be stray: reading may wait at a `{` there.
      if (this.index - this.strayStart > this.options.maxRecordLength) {
        const start = this.strayStart;
        this.straySnippet ??= this.buffer.slice(start, start + SNIPPET_LENGTH).trim();
        this.strayStart = this.index;
      }
      keep = Math.min(keep, this.strayStart);
    }
    if (this.arrayOpenAt >= 0 && this.index - this.arrayOpenAt > this.options.maxRecordLength) {
      // Spaces this long after a `[` are no line of text: stop holding them.
      this.arrayOpenAt = -1;
    }
    if (this.arrayOpenAt >= 0) keep = Math.min(keep, this.arrayOpenAt);
    if (this.mode === Mode.Root && this.rootStart >= 0) keep = Math.min(keep, this.rootStart);
    if (this.heldEnd < 0) this.boundHeld(this.buffer.length);
    if ((this.holding || this.heldEnd >= 0) && this.heldSnippet === undefined) {
      keep = Math.min(keep, this.rootStart);
    }

    if (
      this.recordStart >= 0 &&
      this.buffer.length - this.recordStart > this.options.maxRecordLength
    ) {
      // Keep scanning the oversized record to find its end, but stop holding its text.
      this.recordOversize = true;
      this.arrayOpenAt = -1;
      keep = this.buffer.length;
      if (this.pending !== undefined) this.pending.start = -1;
      this.recordStart = 0;
      this.dropped += this.buffer.length;
      this.buffer = '';
      this.index = 0;
      return;
    }
    if (
      this.mode === Mode.Root &&
      this.rootStart >= 0 &&
      this.buffer.length - this.rootStart > this.options.maxRecordLength
    ) {
      this.rootOversize = true;
      this.rootStart = -1;
      keep = this.recordStart >= 0 ? this.recordStart : this.buffer.length;
    }
    if (this.keyStart >= 0 && this.buffer.length - this.keyStart > MAX_KEY_LENGTH) {
      // A string this long is a value, not a wrapper key, and keeping it would copy it per chunk.
      this.keyStart = -1;
      this.lastKey = '';
    }
    if (this.keyStart >= 0) keep = Math.min(keep, this.keyStart);
    if (this.pending !== undefined && this.pending.start >= 0) {
      keep = Math.min(keep, this.pending.start);
    }
    if (this.checkpoint !== undefined) keep = Math.min(keep, this.checkpoint.start);
    if (this.firstArray !== undefined) keep = Math.min(keep, this.firstArray.start);
    if (keep === 0) return;

    this.buffer = this.buffer.slice(keep);
    this.dropped += keep;
    this.index -= keep;
    if (this.recordStart >= 0) this.recordStart -= keep;
    if (this.strayStart >= 0) this.strayStart -= keep;
    if (this.scalarEnd >= 0) this.scalarEnd -= keep;
    if (this.arrayOpenAt >= 0) this.arrayOpenAt -= keep;
    if (this.rootStart >= 0) this.rootStart -= keep;
    if (this.heldEnd >= 0) this.heldEnd -= keep;
    if (this.keyStart >= 0) this.keyStart -= keep;
    if (this.pending !== undefined && this.pending.start >= 0) this.pending.start -= keep;
    if (this.checkpoint !== undefined) this.checkpoint.start -= keep;
    if (this.firstArray !== undefined) this.firstArray.start -= keep;
  }
}
