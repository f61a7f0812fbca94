/**
 * Cuts a byte stream into the fixed-size blocks of an EVTX file (the 4 KiB file header, then
 * 64 KiB chunks) whatever sizes the stream's buffers have. A block that lies inside one input
 * buffer is returned as a view of it. A block that spans buffers is copied into a scratch
 * buffer that the next read reuses, so memory stays at one input buffer plus one chunk.
 */
export class BlockReader {
  /** File offset of the next block. */
  offset = 0;
  private readonly iterator: AsyncIterator<Buffer>;
  private current: Buffer = Buffer.alloc(0);
  private position = 0;
  private ended = false;
  private scratch: Buffer = Buffer.alloc(0);

  constructor(chunks: AsyncIterable<Buffer>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /**
   * Returns the next `size` bytes, or fewer at the end of the input (none after it). The
   * returned buffer is valid until the next call.
   */
  async read(size: number): Promise<Buffer> {
    if (this.current.length - this.position >= size) {
      const block = this.current.subarray(this.position, this.position + size);
      this.position += size;
      this.offset += size;
      return block;
    }

    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      if (this.position >= this.current.length && !(await this.pull())) break;
      const take = Math.min(size - filled, this.current.length - this.position);
      this.current.copy(this.scratch, filled, this.position, this.position + take);
      this.position += take;
      filled += take;
    }
    this.offset += filled;
    return this.scratch.subarray(0, filled);
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.current = next.value;
    this.position = 0;
    return true;
  }
}
