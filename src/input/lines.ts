/** Splits decoded text into lines, in batches per chunk, with 1-based line numbers. */

export interface TextLine {
  text: string;
  line: number;
  /** Set when the line was longer than the limit; `text` then holds only its start. */
  truncated?: boolean;
  /**
   * Set on the last line when the input stopped inside it (see `SplitLinesOptions.endsCut`),
   * so that its end may be missing.
   */
  cut?: boolean;
}

export interface SplitLinesOptions {
  /** Longest line kept whole, in UTF-16 code units; longer lines are cut and marked. */
  maxLineLength: number;
  /**
   * Tells, once the text has ended, whether reading stopped before the input's end, as it does
   * in a `.gz` cut short. The text after the last line break is then a line whose end is lost.
   */
  endsCut?: () => boolean;
}

export async function* splitLines(
  texts: AsyncIterable<string>,
  options: SplitLinesOptions,
): AsyncIterable<TextLine[]> {
  let carry = '';
  let carryTruncated = false;
  let line = 1;

  for await (const text of texts) {
    const batch: TextLine[] = [];
    let start = 0;
    let end = text.indexOf('\n', start);

    while (end !== -1) {
      let content = carry.length > 0 ? carry + text.slice(start, end) : text.slice(start, end);
      if (content.endsWith('\r')) content = content.slice(0, -1);
      const truncated = carryTruncated || content.length > options.maxLineLength;
      batch.push(
        truncated
          ? { text: content.slice(0, options.maxLineLength), line, truncated: true }
          : { text: content, line },
      );
      carry = '';
      carryTruncated = false;
      line++;
      start = end + 1;
      end = text.indexOf('\n', start);
    }

    // The rest of a line already over the limit is skipped: keeping it would copy the kept
    // start once per chunk, which took minutes for a line of hundreds of megabytes.
    if (start < text.length && !carryTruncated) {
      carry += text.slice(start);
      if (carry.length > options.maxLineLength) {
        carry = carry.slice(0, options.maxLineLength);
        carryTruncated = true;
      }
    }
    if (batch.length > 0) yield batch;
  }

  if (carry.length > 0 || carryTruncated) {
    if (carry.endsWith('\r')) carry = carry.slice(0, -1);
    const last: TextLine = carryTruncated
      ? { text: carry, line, truncated: true }
      : { text: carry, line };
    if (options.endsCut?.()) last.cut = true;
    yield [last];
  }
}
