/** Bytes of skipped data quoted in a warning, so that a user can tell what was appended. */
const PREVIEW_BYTES = 32;

/** Why a range of a gzip input is no member: junk, or the damaged rest of a member. */
export type SkipCause =
  | {
      kind: 'junk';
      /** The reason that a candidate member at `start`, with the gzip magic, is invalid. */
      reason?: string;
    }
  | {
      kind: 'damage';
      /** Offset of the header of the member whose deflate data failed. */
      member: number;
      /** Offset of the compressed byte at which inflating failed. */
      failedAt: number;
      message: string;
    };

/**
 * A range of a gzip input that is not a member, from `start` on: junk after a member, or the rest
 * of a member whose deflate data is damaged. The reader keeps one while it searches for the next
 * member, and describes it in one warning when it finds that member or when the input ends.
 */
export class SkippedBytes {
  private readonly preview: Buffer[] = [];
  /** Offset after the last byte kept in `preview`. */
  private previewEnd: number;

  constructor(
    readonly start: number,
    readonly cause: SkipCause,
  ) {
    this.previewEnd = start;
  }

  /** Keeps copies of the bytes, which start at `offset`, that fall in the preview. */
  note(bytes: Buffer, offset: number): void {
    const limit = this.start + PREVIEW_BYTES;
    if (this.previewEnd >= limit || offset > this.previewEnd) return;

    const from = this.previewEnd - offset;
    const to = Math.min(bytes.length, limit - offset);
    if (to <= from) return;
    this.preview.push(Buffer.from(bytes.subarray(from, to)));
    this.previewEnd = offset + to;
  }

  /**
   * Describes the range when a member was found at `next`. With `lineBreak`, the text before the
   * range ended inside a line, and a line break was added after it.
   */
  describeBefore(next: number, lineBreak: boolean): string {
    const cause = this.cause;
    if (cause.kind === 'damage') {
      const { member, failedAt, message } = cause;
      const failed =
        `the deflate data of the gzip member at byte ${member} failed at byte ${failedAt}: ` +
        `${message}. Its text before the damage was read`;
      const rest =
        next > failedAt
          ? `the ${countBytes(next - failedAt)} from byte ${failedAt} to the next gzip member ` +
            `at byte ${next} were skipped, with the records in them`
          : `the next gzip member starts at byte ${next}, inside the bytes read as its deflate ` +
            'data, so the damaged member was cut off there';
      return `${failed}, and ${rest}${lineNote(lineBreak, 'the damage')}`;
    }

    const count = next - this.start;
    const verbs = count === 1 ? 'is not gzip data and was' : 'are not gzip data and were';
    return (
      `${countBytes(count)} between gzip members, from byte ${this.start} to the next member at ` +
      `byte ${next}, ${verbs} skipped: ${this.quote(count)}${lineNote(lineBreak, 'them')}`
    );
  }

  /** Describes junk from `start` to the end of the input at `end`. */
  describeTrailing(end: number): string {
    const count = end - this.start;
    const verbs = count === 1 ? 'is not gzip data and was' : 'are not gzip data and were';
    return (
      `${countBytes(count)} after the last gzip member, from byte ${this.start}, ${verbs} ` +
      `ignored: ${this.quote(count)}`
    );
  }

  /** Quotes the first bytes, then the reason that a candidate member at the start is invalid. */
  private quote(count: number): string {
    const bytes = Buffer.concat(this.preview);
    const more = count > PREVIEW_BYTES ? ' …' : '';
    // The reason concerns bytes that start with the whole magic, at least two of them.
    const magic = bytes[0] === 0x1f && bytes[1] === 0x8b;
    const reason = this.cause.kind === 'junk' ? this.cause.reason : undefined;
    const because = magic && reason ? `. They start with the gzip magic, but ${reason}` : '';
    return `${quoteBytes(bytes)}${more}${because}`;
  }
}

function countBytes(count: number): string {
  return count === 1 ? '1 byte' : `${count} bytes`;
}

function lineNote(lineBreak: boolean, before: string): string {
  if (!lineBreak) return '';
  return (
    `. The text read before ${before} ends inside a line, so a line break was added before the ` +
    'next member: that partial line is read apart from the first record of the next member'
  );
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  9: '\\t',
  10: '\\n',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
};

/**
 * Quotes bytes in one escaping style: `\n`, `\r` and `\t` for line breaks and tabs, `\"` and
 * `\\` for the quote and backslash, and `\xNN` for every other byte outside printable ASCII. No
 * byte is printed as a Latin-1 or control character, which a terminal could misread or act on.
 */
export function quoteBytes(bytes: Buffer): string {
  let quoted = '';
  for (const byte of bytes) {
    const named = NAMED_ESCAPES[byte];
    if (named !== undefined) quoted += named;
    else if (byte >= 0x20 && byte <= 0x7e) quoted += String.fromCharCode(byte);
    else quoted += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `"${quoted}"`;
}
