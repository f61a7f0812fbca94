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
  /** A top-level `[`, which opens an array whose elements are records. */
  Array,
  /** A `[` that opens an element of a record array, at the record array's depth. */
  Element,
  /** A `]` that closes the record array. */
  Close,
  /**
   * A bracket line that starts the array of a root object's wrapper key, as its first element.
   * Read as JSON, the root object is one record whose key contains an array. Read as text, the
   * root object is a wrapper, and the state kept is the wrapper's.
   */
  WrapperStart,
}

/** The comma checks of a checkpoint, which a roll-back to a later checkpoint puts back. */
export interface CheckState {
  afterValue: boolean;
  afterObject: boolean;
  elementAfterValue: boolean;
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
  valueDepth: number;
  /** True when a value ended at `valueDepth` after the bracket, since the last comma there. */
  private afterValue = false;
  /** True when that value is a whole object, a record. */
  private afterObject = false;
  /** True while an element that started right after a value, with no comma, is open. */
  private elementAfterValue = false;
  /**
   * The token expected next after a `]` that closed a wrapper's record array: a comma or the
   * wrapper's `}`, then a key after the comma and a colon after the key, or none once checked.
   */
  private tail: 'close' | 'key' | 'colon' | 'checked' = 'close';

  /**
   * `start` is the bracket's index in the scanner's buffer, and `line` its line. `firstValue` is
   * true for the `[` of an array that is the first value of the input. Such a `[` most often
   * opens a bare array. So only plain signs show that its line is text: two whole values with no
   * comma between them, invalid JSON on its own line, or an array that never closes. A bracket
   * line in its array takes a checkpoint of its own (see `JsonStreamScanner.firstArray`).
   */
  constructor(
    public kind: CheckpointKind,
    public start: number,
    readonly line: number,
    readonly state: State,
    readonly firstValue = false,
  ) {
    if (kind === CheckpointKind.Array) this.valueDepth = 1;
    else if (kind === CheckpointKind.Close) this.valueDepth = 0;
    else this.valueDepth = -1;
  }

  /**
   * Holds a record or rejection framed after the bracket. Invalid JSON after a `[` shows that the
   * `[` line is text, as the array it opened is damaged. After the `[` of the first value, only
   * invalid JSON that starts on the `[` line shows it, as in `[ {` or `[[`. Text or a record cut
   * on a later line is one damaged element of a bare array. After a `]`, the text and records
   * that may follow a closed document show nothing about it.
   */
  hold(record: JsonRecord): void {
    this.output.push(record);
    if (this.kind === CheckpointKind.Close || record.error?.code !== 'invalid_json') return;
    if (!this.firstValue || record.line === this.line) this.damaged = true;
  }

  /**
   * Checks an element that starts in the array that a `[` opened. Two elements with no comma
   * between them show that the `[` line is text, and that the elements are top-level records.
   * After the `[` of the first value, the element shows it once it ends as a whole value (see
   * `endValue`), as a `{` line or a scalar may turn out to be the start of a line of text.
   */
  startElement(): void {
    if (this.firstValue) this.elementAfterValue = this.afterValue;
    else if (this.afterValue) this.damaged = true;
  }

  /**
   * Reads the `]` line of a `WrapperStart` checkpoint as a `]` that closed the record array, once
   * the root object closed as valid JSON, such as `{"value": [` and a `]}` line. What follows the
   * page then shows whether the line is text, as after any such `]`.
   */
  closeRecordArray(): void {
    this.kind = CheckpointKind.Close;
    this.valueDepth = 0;
  }

  saveChecks(): CheckState {
    return {
      afterValue: this.afterValue,
      afterObject: this.afterObject,
      elementAfterValue: this.elementAfterValue,
    };
  }

  restoreChecks(checks: CheckState): void {
    this.afterValue = checks.afterValue;
    this.afterObject = checks.afterObject;
    this.elementAfterValue = checks.elementAfterValue;
  }

  /** Tells whether a value ended at `depth`, which is `valueDepth`, since the last comma there. */
  followsValue(depth: number): boolean {
    return depth === this.valueDepth && this.afterValue;
  }

  /**
   * Marks the end of a value at `valueDepth`, where a comma may follow. `whole` is false for a
   * value rejected as invalid JSON. In the first value's array, such an element is damaged text,
   * which needs no comma after it. `object` is true for a whole object.
   */
  endValue(whole: boolean, object: boolean): void {
    if (this.elementAfterValue && whole) this.damaged = true;
    this.elementAfterValue = false;
    if (whole || !this.firstValue) this.afterValue = true;
    this.afterObject = whole && object;
  }

  /**
   * Handles a comma on `line` at `valueDepth`, between values. JSON has none between top-level
   * values, so after the record array closed it shows that the `]` line is text. Returns true
   * when the comma shows the array that a `[` opened: it follows a record, or a value on a later
   * line than the `[`. One after a scalar on the `[` line, as in `[1,` or `["a", "b"`, or one that
   * starts its line, as in `, page 2`, is checked by what follows it.
   */
  comma(line: number, startsLine: boolean): boolean {
    if (this.kind === CheckpointKind.Close) {
      if (this.afterValue) this.damaged = true;
      return false;
    }
    const showsArray = !startsLine && (this.afterObject || line > this.line);
    if (this.afterValue && showsArray) return true;
    this.afterValue = false;
    this.afterObject = false;
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
