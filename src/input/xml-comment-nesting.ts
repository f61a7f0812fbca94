import { firstAtLeast } from './occurrences.js';

/**
 * Ends of nested XML comments in one text, looked up in a table instead of found by a walk, so
 * that a run of comments left open by cut records costs one pass. Comments nest here. Valid XML
 * has no `<!--` inside a comment, so valid text reads as XML reads it, and a commented-out block
 * that contains comments ends where its author meant it to.
 */
export class CommentNesting {
  /** Start index of each opener (`<!--`) and closer (`-->`), in order, and the kind of each. */
  private readonly positions: number[] = [];
  private readonly isCloser: boolean[] = [];
  /** For each token, the first later token after which fewer comments are open than before it. */
  private readonly unwound: Int32Array;

  constructor(openers: readonly number[], closers: readonly number[]) {
    let nextOpener = 0;
    let nextCloser = 0;
    let openerEnd = -1;
    while (nextOpener < openers.length || nextCloser < closers.length) {
      const opener = openers[nextOpener] ?? Number.POSITIVE_INFINITY;
      const closer = closers[nextCloser] ?? Number.POSITIVE_INFINITY;
      if (opener < closer) {
        this.positions.push(opener);
        this.isCloser.push(false);
        openerEnd = opener + '<!--'.length;
        nextOpener++;
        continue;
      }
      // A `-->` that overlaps the opener before it, as in `<!-->`, does not close a comment.
      if (closer >= openerEnd) {
        this.positions.push(closer);
        this.isCloser.push(true);
      }
      nextCloser++;
    }
    this.unwound = this.unwind();
  }

  /** Returns the index of the closer of a comment whose text starts at `from`, or -1. */
  closerOf(from: number): number {
    const first = firstAtLeast(this.positions, from);
    if (first >= this.positions.length) return -1;
    const end = this.unwound[first] as number;
    return end < 0 ? -1 : (this.positions[end] as number);
  }

  /**
   * Finds, for each token, the first closer from it that leaves fewer comments open than were
   * open before it: the end of a comment whose text starts at that token. A stack of the tokens
   * still waiting for their closer keeps this linear.
   */
  private unwind(): Int32Array {
    const count = this.positions.length;
    const unwound = new Int32Array(count).fill(-1);
    const waiting: { token: number; depth: number }[] = [];
    let depth = 0;
    for (let token = 0; token < count; token++) {
      waiting.push({ token, depth });
      depth += this.isCloser[token] ? -1 : 1;
      while (waiting.length > 0 && depth < (waiting[waiting.length - 1]?.depth as number)) {
        unwound[(waiting.pop() as { token: number }).token] = token;
      }
    }
    return unwound;
  }
}
