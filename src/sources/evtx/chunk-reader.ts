import { TrustwatchError } from '../../model/errors.js';
import type { ParseContext, ParseOutput, Rejection } from '../format.js';
import { BinXmlReader } from './binxml-reader.js';
import {
  CHUNK_HEADER_SIZE,
  CHUNK_SIZE,
  type ChunkHeader,
  declaredRecordCount,
  MAX_RECORDS_PER_CHUNK,
  parseChunkHeader,
} from './chunk-header.js';
import { EventTreeBuilder } from './event-tree.js';
import { eventFromTree } from './evtx-event.js';
import { Expander } from './expand.js';
import { FILE_HEADER_SIZE, formatUInt64, readUInt64 } from './file-header.js';
import { EVTX_CODES, EvtxParseError } from './parse-error.js';
import { MIN_RECORD_SIZE, RecordIdSequence } from './record-ids.js';
import { formatFileTime } from './values.js';

/**
 * Reads the records of one chunk. Each record the chunk header declares ends up as an event
 * or as a rejection. A record that fails to parse is rejected alone. A damaged record header
 * is skipped by searching for the next record signature, and a record header id that does not
 * fit the records around it is replaced (RecordIdSequence). Records that the header counts but
 * that the bytes no longer contain (cut off, or lost in a damaged span) are rejected one by
 * one. Bad checksums do not stop the reading. The records are tried anyway, and the returned
 * summary reports the checksums to the caller.
 */

/** Record header: signature (4 bytes), size (4), record id (8), written time (8). */
const RECORD_HEADER_SIZE = 24;

/** 10000-01-01T00:00:00Z as a FILETIME: 100 ns ticks since 1601-01-01. */
const YEAR_10000_FILETIME = 2_650_467_744_000_000_000n;

const RECORD_SIGNATURE = Buffer.from([0x2a, 0x2a, 0x00, 0x00]);

export interface ChunkSummary {
  /** False for an unused chunk (all zero bytes), which is skipped. */
  used: boolean;
  header?: ChunkHeader;
  /** Record header ids that did not fit the chunk and were replaced. */
  replacedIds?: ReplacedId[];
}

/** A record header id replaced by the id that the records around it give. */
export interface ReplacedId {
  /** File offset of the record. */
  offset: number;
  /** The stored id as exact decimal text, because a damaged id can exceed 2^53. */
  stored: string;
  id: number;
}

export class ChunkReader {
  private readonly binxml = new BinXmlReader();
  private readonly expander = new Expander(this.binxml);
  private readonly tree = new EventTreeBuilder();
  private chunk: Buffer = Buffer.alloc(0);
  private length = 0;
  private fileOffset = 0;

  private readonly file: string;
  private replacedIds: ReplacedId[] = [];

  constructor(private readonly context: ParseContext) {
    this.file = context.file;
  }

  /** Reads the `length` present bytes of the chunk at `fileOffset` into `out`. */
  read(chunk: Buffer, length: number, fileOffset: number, out: ParseOutput): ChunkSummary {
    this.chunk = chunk;
    this.length = length;
    this.fileOffset = fileOffset;
    if (isZero(chunk, length)) return { used: false };

    if (length < CHUNK_HEADER_SIZE) {
      out.rejections.push(
        this.rejection(
          EVTX_CODES.truncated,
          `the input ends ${length} bytes into the chunk at offset ${fileOffset}, inside its header`,
          0,
        ),
      );
      return { used: true };
    }

    const header = parseChunkHeader(chunk, length);
    const declared = header.signatureValid ? declaredRecordCount(header) : undefined;
    if (!header.signatureValid) {
      out.rejections.push(
        this.rejection(
          EVTX_CODES.invalidChunk,
          `chunk at offset ${fileOffset} has no ElfChnk signature; its records are read without its header`,
          0,
        ),
      );
    } else if (declared === undefined) {
      const first = formatUInt64(chunk, 8);
      const last = formatUInt64(chunk, 16);
      out.rejections.push(
        this.rejection(
          EVTX_CODES.invalidChunk,
          `chunk at offset ${fileOffset} declares records ${first} to ${last}, not a range one chunk can hold; its records are read without the count`,
          0,
        ),
      );
    }

    this.binxml.startChunk(chunk, length);
    this.replacedIds = [];
    this.readRecords(header, declared, out);
    return { used: true, header, replacedIds: this.replacedIds };
  }

  private readRecords(header: ChunkHeader, declared: number | undefined, out: ParseOutput): void {
    const freeSpace = header.freeSpaceOffset;
    const limit =
      freeSpace > CHUNK_HEADER_SIZE && freeSpace <= this.length ? freeSpace : this.length;
    const maximum = declared ?? MAX_RECORDS_PER_CHUNK;
    const ids = new RecordIdSequence(header, declared);
    let accounted = 0;
    let offset = CHUNK_HEADER_SIZE;

    while (accounted < maximum && offset + RECORD_HEADER_SIZE <= limit) {
      const problem = this.checkRecordHeader(offset);
      if (problem === undefined) {
        const size = this.chunk.readUInt32LE(offset + 4);
        const id = this.takeId(ids, offset, limit);
        this.readRecord(offset, size, id, out);
        accounted++;
        offset += size;
        continue;
      }
      if (problem === 'truncated') {
        const id = offset + 16 <= this.length ? this.takeId(ids, offset, undefined) : ids.next;
        const reason = `the input ends at offset ${this.fileOffset + this.length}, inside this record`;
        out.rejections.push(this.recordRejection(EVTX_CODES.truncated, id, offset, reason));
        accounted++;
        break;
      }

      // The record header is damaged: resume at the next intact record header, and reject
      // the records that the damaged span contained, as many as the record ids tell.
      const next = this.findRecord(offset + 1, limit);
      const span =
        next < 0
          ? 1
          : ids.lostBefore(
              readUInt64(this.chunk, next + 8),
              this.followingId(next, limit),
              next - offset,
            );
      const rejected = Math.min(span, maximum - accounted);
      for (let index = 0; index < rejected; index++) {
        out.rejections.push(
          this.recordRejection(
            EVTX_CODES.invalidRecord,
            ids.next + index,
            offset,
            index === 0
              ? problem
              : `lost in the damaged bytes after the record header at offset ${this.fileOffset + offset}`,
          ),
        );
      }
      accounted += rejected;
      ids.skip(rejected);
      if (next < 0) break;
      offset = next;
    }

    if (declared === undefined || accounted >= declared) return;
    const truncated = this.length < CHUNK_SIZE;
    const at = this.fileOffset + offset;
    for (let index = 0; accounted + index < declared; index++) {
      out.rejections.push(
        this.recordRejection(
          truncated ? EVTX_CODES.truncated : EVTX_CODES.missingRecord,
          ids.next + index,
          offset,
          truncated
            ? `the input ends at offset ${this.fileOffset + this.length} before this record (records stop at offset ${at})`
            : `the chunk header declares ${declared} records but the records stop at offset ${at}`,
        ),
      );
    }
  }

  /**
   * Returns the id of the record at `offset`: its header's id, or the id that the records
   * around it give when that one does not fit (see RecordIdSequence), which the chunk summary
   * lists. The record header after it, read only when the id is not the next one, ends before
   * `limit`; without `limit` there is none.
   */
  private takeId(ids: RecordIdSequence, offset: number, limit: number | undefined): number {
    const stored = readUInt64(this.chunk, offset + 8);
    const following =
      stored === ids.next || limit === undefined ? undefined : this.followingId(offset, limit);
    const { id, trusted } = ids.take(stored, following);
    if (!trusted) {
      const text = formatUInt64(this.chunk, offset + 8);
      this.replacedIds.push({ offset: this.fileOffset + offset, stored: text, id });
    }
    return id;
  }

  /** Returns the id in the intact record header right after the record at `offset`, if any. */
  private followingId(offset: number, limit: number): number | undefined {
    const following = offset + this.chunk.readUInt32LE(offset + 4);
    if (following + RECORD_HEADER_SIZE > limit) return undefined;
    if (this.checkRecordHeader(following) !== undefined) return undefined;
    return readUInt64(this.chunk, following + 8);
  }

  /** Returns why the record header at `offset` is unusable, or undefined when it is intact. */
  private checkRecordHeader(offset: number): string | undefined {
    if (!this.chunk.subarray(offset, offset + 4).equals(RECORD_SIGNATURE)) {
      return 'no record signature (2a 2a 00 00)';
    }
    const size = this.chunk.readUInt32LE(offset + 4);
    if (size < MIN_RECORD_SIZE || offset + size > CHUNK_SIZE) {
      return `record size ${size} does not fit in the chunk`;
    }
    if (offset + size > this.length) return 'truncated';
    const copy = this.chunk.readUInt32LE(offset + size - 4);
    if (copy !== size) return `record size ${size} differs from its trailing copy ${copy}`;
    return undefined;
  }

  /** Finds the next intact record header from `start`, or returns -1. */
  private findRecord(start: number, limit: number): number {
    const present = this.chunk.subarray(0, this.length);
    let candidate = present.indexOf(RECORD_SIGNATURE, start);
    while (candidate >= 0 && candidate + RECORD_HEADER_SIZE <= limit) {
      if (this.checkRecordHeader(candidate) === undefined) return candidate;
      candidate = present.indexOf(RECORD_SIGNATURE, candidate + 1);
    }
    return -1;
  }

  private readRecord(offset: number, size: number, id: number, out: ParseOutput): void {
    try {
      const content = this.binxml.parseRecord(offset + RECORD_HEADER_SIZE, offset + size - 4);
      this.tree.reset();
      this.expander.expandRecord(content, this.tree);
      const header = { recordId: id, writtenTime: () => this.writtenTime(offset) };
      out.events.push(eventFromTree(this.tree.root, this.context, header));
    } catch (error) {
      // Only the reader's own errors carry a rejection code; any other error is a parse failure.
      const code =
        error instanceof TrustwatchError || error instanceof EvtxParseError
          ? error.code
          : undefined;
      let reason = error instanceof Error ? error.message : String(error);
      if (error instanceof EvtxParseError && error.chunkOffset > 0) {
        reason += ` (at offset ${this.fileOffset + error.chunkOffset})`;
      }
      out.rejections.push(
        this.recordRejection(code ?? EVTX_CODES.invalidBinXml, id, offset, reason),
      );
    }
  }

  /**
   * Returns the written time of the record header at `offset`, or undefined when it is unset (0,
   * as some exports leave it) or past the year 9999, so that it is no event time.
   */
  private writtenTime(offset: number): string | undefined {
    const ticks = this.chunk.readBigUInt64LE(offset + 16);
    if (ticks === 0n || ticks >= YEAR_10000_FILETIME) return undefined;
    return formatFileTime(ticks);
  }

  private recordRejection(code: string, id: number, offset: number, reason: string): Rejection {
    const chunk = `chunk ${this.chunkNumber()} at offset ${this.fileOffset}`;
    const message = `record ${id} at offset ${this.fileOffset + offset} (${chunk}): ${reason}`;
    return { code, message, origin: { file: this.file, record: id, line: 0 } };
  }

  /** Returns the number of the chunk being read, counted from 0 after the file header. */
  private chunkNumber(): number {
    return Math.floor((this.fileOffset - FILE_HEADER_SIZE) / CHUNK_SIZE);
  }

  private rejection(code: string, message: string, record: number): Rejection {
    return { code, message, origin: { file: this.file, record, line: 0 } };
  }
}

const ZERO_CHUNK = Buffer.alloc(CHUNK_SIZE);

function isZero(chunk: Buffer, length: number): boolean {
  return chunk[0] === 0 && chunk.subarray(0, length).equals(ZERO_CHUNK.subarray(0, length));
}
