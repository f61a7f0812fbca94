/**
 * Checkpoints of the JSON stream scanner (`json-stream.ts`) at bracket lines that may be text.
 *
 * Tools write lines such as `[`, `[1`, `[[` or `]` into their output. Read as JSON, such a line
 * changes the depth: a `[` takes the records after it as elements of a nested array, and a `]`
 * closes the record array early. The damage shows only later, often at the end of the input.
 * So the scanner keeps its state from before the bracket in a checkpoint, and holds back what
 * it frames after it. Damaged JSON after the bracket rolls the scanner back, and the bracket's
 * line is read as text. JSON that goes on as it should sends what was held back.
 */

import type { JsonRecord } from './json-records.js';

/**
 * Maximum roll-backs over the same text (see `RollBackBudget`). Each one scans that text again,
 * so the cap bounds the work of a run of bracket lines that are text.
 * NOTE: the bracket lines of a run past the cap are read as JSON, so a `[` there takes the
 * records after it.
 */
const MAX_ROLLBACKS = 64;

export enum CheckpointKind {
  /** A `[` between top-level values, which opens an array whose elements are records. */
  Array,
  /** A `[` that opens an element of a record array, at the record array's depth. */
  Element,
  /** A `]` that closes the record array. */
  Close,
}

/**
 * The state before a bracket line that may be text, and what was framed after the bracket.
 * `State` contains the scanner's fields that a roll-back puts back, among them the depth
 * before the bracket.
 */
export class Checkpoint<State extends { depth: number }> {
  /** Records and rejections framed after the bracket, in order. */
  readonly output: JsonRecord[] = [];
  /** True once the JSON after the bracket is damaged: the bracket's line is text. */
  damaged = false;
  /**
   * Depth where values after the bracket are checked for commas, or -1: the elements of the array
   * that a top-level `[` opens, and the top-level values after the record array closed.
   */
  readonly valueDepth: number;
  /** True when a value ended at `valueDepth` after the bracket, since the last comma there. */
  private afterValue = false;
  /** True when a comma came last after a value in the array that a `[` opened. */
  private afterComma = false;
  /**
   * The token expected next after a `]` that closed a wrapper's record array: a comma or the
   * wrapper's `}`, then a key after the comma and a colon after the key, or none once checked.
   */
  private tail: 'close' | 'key' | 'colon' | 'checked' = 'close';

  /** `start` is the bracket's index in the scanner's buffer, and `line` its line. */
  constructor(
    readonly kind: CheckpointKind,
    public start: number,
    readonly line: number,
    readonly state: State,
  ) {
    if (kind === CheckpointKind.Array) this.valueDepth = 1;
    else if (kind === CheckpointKind.Close) this.valueDepth = 0;
    else this.valueDepth = -1;
  }

  /**
   * Holds a record or rejection framed after the bracket. Invalid JSON after a `[` shows that the
   * `[` line is text, as the array it opened is damaged. After a `]`, the text and records that
   * may follow a closed document show nothing about it.
   */
  hold(record: JsonRecord): void {
    this.output.push(record);
    if (this.kind !== CheckpointKind.Close && record.error?.code === 'invalid_json') {
      this.damaged = true;
    }
  }

  /**
   * Checks an element that starts, on `line`, in the array that a `[` opened. Two elements with
   * no comma between them show that the `[` line is text, and that the elements are top-level
   * records. Returns true when the element shows an array: it follows a comma on the `[` line.
   */
  startElement(line: number): boolean {
    if (this.afterValue) this.damaged = true;
    return !this.damaged && this.afterComma && line === this.line;
  }

  /** Marks the end of a value at `valueDepth`, where a comma may follow. */
  endValue(): void {
    this.afterValue = true;
    this.afterComma = false;
  }

  /**
   * Handles a comma on `line` at `valueDepth`, between values. JSON has none between top-level
   * values, so after the record array closed it shows that the `]` line is text. Returns true
   * when the comma shows the array that a `[` opened: it follows a value on a later line than
   * the `[`. One on the `[` line, as in `[1,`, or one that starts its line, as in `, page 2`, is
   * checked by what follows it.
   */
  comma(line: number, startsLine: boolean): boolean {
    if (this.kind === CheckpointKind.Close) {
      if (this.afterValue) this.damaged = true;
      return false;
    }
    if (this.afterValue && line > this.line && !startsLine) return true;
    this.afterValue = false;
    this.afterComma = true;
    return false;
  }

  /**
   * Checks a character, other than a space or one inside a string, inside a wrapper after the
   * `]` that closed its record array. JSON allows a comma, a key and a colon there, or the
   * wrapper's `}`. Anything else, such as a record or a line of text, shows that the `]` line is
   * text, as a wrapper skips what it finds after its record array.
   */
  stepWrapperTail(code: number): void {
    if (this.tail === 'close' && code === 0x2c) {
      this.tail = 'key';
    } else if (this.tail === 'key' && code === 0x22) {
      this.tail = 'colon';
    } else if (this.tail !== 'checked') {
      const closes = this.tail === 'close' && code === 0x7d;
      if (!closes && !(this.tail === 'colon' && code === 0x3a)) this.damaged = true;
      this.tail = 'checked';
    }
  }

  /**
   * Tells whether an element of the record array, at `depth` and `start` in the buffer, shows
   * that the record array around a `[` element goes on as JSON. An object or array after that
   * element shows it when it starts (`opening` is its first character), and any other element
   * once it ends `valid`. A string may be a key after the record array, as in `],
   * "@odata.nextLink": "…"`, which a `[` line of text makes an element.
   */
  showsRecordArray(depth: number, start: number, opening: number, valid: boolean): boolean {
    if (this.kind !== CheckpointKind.Element || depth !== this.state.depth) return false;
    if (start === this.start) return false;
    return valid || opening === 0x7b || opening === 0x5b;
  }

  /**
   * Tells whether a bracket that closed down to `depth` ends what the checkpoint waits for: the
   * array that its `[` opened, or the record array around its element. After a `]` that closed
   * the record array, the closing brackets of a wrapper prove nothing, as a `]` and a `}` line
   * of text close it as well: the end of the input or a new document does.
   */
  closedBy(depth: number): boolean {
    if (this.kind === CheckpointKind.Array) return depth === this.state.depth;
    return this.kind === CheckpointKind.Element && depth < this.state.depth;
  }
}

/** The roll-backs allowed over the same text (see `MAX_ROLLBACKS`). */
export class RollBackBudget {
  /** Roll-backs since scanning last went past `reach`. */
  private count = 0;
  /** Position in the input of the furthest scan that a roll-back undid. */
  private reach = -1;

  /** Tells whether a checkpoint may be taken at `position` in the input. */
  allows(position: number): boolean {
    if (position > this.reach) this.count = 0;
    return this.count < MAX_ROLLBACKS;
  }

  /** Counts a roll-back of the scan that reached `position` in the input. */
  spend(position: number): void {
    this.reach = Math.max(this.reach, position);
    this.count++;
  }
}
