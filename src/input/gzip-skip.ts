/**
 * Warnings about damage in a gzip input that the reader read past: skipped ranges, trailers that
 * do not match, and line breaks added after damaged text.
 */

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
 * A range of a gzip input that is not a member, from `start` on: junk before the first member or
 * after a member, or the rest of a member whose deflate data is damaged. The reader keeps one
 * while it searches for the next member, and describes it in one warning when it finds that
 * member or when the input ends.
 */
export class SkippedBytes {
  private readonly preview: Buffer[] = [];
  /** Offset after the last byte kept in `preview`. */
  private previewEnd: number;

  /** @param leading true when no member comes before the range. */
  constructor(
    readonly start: number,
    readonly cause: SkipCause,
    private readonly leading = false,
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
    if (this.leading) {
      return (
        `${countBytes(count)} before the first gzip member, from byte ${this.start} to the ` +
        `member at byte ${next}, ${verbs} skipped: ${this.quote(count)}`
      );
    }
    return (
      `${countBytes(count)} between gzip members, from byte ${this.start} to the next member at ` +
      `byte ${next}, ${verbs} skipped: ${this.quote(count)}${lineNote(lineBreak, 'them')}`
    );
  }

  /** Describes a range that runs from the start to the end of an input without a valid member. */
  describeWhole(end: number): string {
    const count = end - this.start;
    return (
      `not gzip: no valid gzip member was found in the ${countBytes(count)} of the input, ` +
      `which may be damaged throughout: ${this.quote(count)}`
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

/**
 * Describes a member found at `next` inside the bytes read as the deflate data of the member at
 * `member`, which ended damaged. With `lineBreak`, a line break was added before the new member.
 */
export function describeMemberInside(member: number, next: number, lineBreak: boolean): string {
  return (
    `a gzip member starts at byte ${next}, inside the bytes read as the deflate data of the ` +
    `damaged gzip member at byte ${member}. That member was cut short there, so the text read ` +
    `from its bytes past byte ${next} is damaged, and the member at byte ${next} was read ` +
    `after it${lineNote(lineBreak, `the member at byte ${next}`)}`
  );
}

/**
 * Describes a line break added after the damaged text of the member at `member`, before the
 * member at `next`.
 */
export function describeLineBreak(member: number, next: number): string {
  return (
    `the damaged text of the gzip member at byte ${member} ends inside a line, so a line break ` +
    `was added before the next member at byte ${next}: that partial line is read apart from ` +
    'the first record of the next member'
  );
}

/**
 * Describes how the CRC-32 and length stored in the trailer of the member at `member` differ
 * from those of its text, one warning each, or returns none when both match.
 */
export function describeTrailerMismatches(
  member: number,
  stored: { crc: number; size: number },
  computed: { crc: number; size: number },
): string[] {
  const name = `the gzip member at byte ${member}`;
  const warnings: string[] = [];
  if (stored.crc !== computed.crc) {
    warnings.push(
      `CRC-32 mismatch in ${name} (stored ${hex(stored.crc)}, computed ${hex(computed.crc)}): ` +
        'its records were read, but the trailer or the text is damaged',
    );
  }
  if (stored.size !== computed.size) {
    warnings.push(
      `length mismatch in ${name} (stored ${stored.size} bytes modulo 2^32, decompressed ` +
        `${computed.size}): its records were read, but the trailer or the text is damaged`,
    );
  }
  return warnings;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
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
