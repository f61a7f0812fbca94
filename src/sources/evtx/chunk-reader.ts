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
  /** Chunk header fields that are damaged or disagree with the records, which are read. */
  warnings?: string[];
}

/** A record header id replaced by the id that the records around it give. */
export interface ReplacedId {
  /** File offset of the record. */
  offset: number;
  /** The stored id as exact decimal text, because a damaged id can exceed 2^53. */
  stored: string;
  id: number;
  /** Reason the stored id was not trusted. */
  reason: string;
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
    const warnings: string[] = [];
    if (!header.signatureValid) {
      warnings.push('the chunk has no ElfChnk signature; its records are read without its header');
    } else if (declared === undefined) {
      const first = formatUInt64(chunk, 8);
      const last = formatUInt64(chunk, 16);
      warnings.push(
        `the chunk header declares records ${first} to ${last}, not a range one chunk can hold; its records are read without the count`,
      );
    }

    this.binxml.startChunk(chunk, length);
    this.replacedIds = [];
    this.readRecords(header, declared, out, warnings);
    return { used: true, header, replacedIds: this.replacedIds, warnings };
  }

  /**
   * Reads the chain of records from the end of the chunk header, up to the end that the chunk
   * header's fields mark (see `expectsMore`). Past that point an intact
   * record is read only when the chunk header is damaged and the record's id continues the
   * sequence, because an intact chunk header marks the end exactly and the slack after it can
   * hold old records. A header field that disagrees with the records found adds a warning.
   */
  private readRecords(
    header: ChunkHeader,
    declared: number | undefined,
    out: ParseOutput,
    warnings: string[],
  ): void {
    const freeSpace = header.freeSpaceOffset;
    const freeSpaceFits = freeSpace > CHUNK_HEADER_SIZE && freeSpace <= this.length;
    const declaredEnd = freeSpaceFits ? freeSpace : CHUNK_HEADER_SIZE;
    const lastOffset = header.lastRecordOffset;
    const lastOffsetFits =
      lastOffset >= CHUNK_HEADER_SIZE && lastOffset + MIN_RECORD_SIZE <= this.length;
    const headerMarksEnd = header.signatureValid && header.headerChecksumValid;
    const ids = new RecordIdSequence(header, declared);
    let accounted = 0;
    let offset = CHUNK_HEADER_SIZE;
    // The record count, the free-space offset and the last record's offset each mark the end
    // of the records. One damaged field must not end them early or late, so the records end
    // where most of the fields that fit the chunk place that end.
    const expectsMore = (): boolean => {
      let known = 0;
      let reached = 0;
      if (declared !== undefined) {
        known++;
        if (accounted >= declared) reached++;
      }
      if (freeSpaceFits) {
        known++;
        if (offset >= freeSpace) reached++;
      }
      if (lastOffsetFits) {
        known++;
        if (offset > lastOffset) reached++;
      }
      return known === 3 ? reached < 2 : reached === 0 && known > 0;
    };
    let endedIntact = true;

    while (accounted < MAX_RECORDS_PER_CHUNK && offset + RECORD_HEADER_SIZE <= this.length) {
      const expected = expectsMore();
      const problem = this.checkRecordHeader(offset);
      if (problem === undefined) {
        if (
          !expected &&
          (headerMarksEnd || !ids.continuesWith(readUInt64(this.chunk, offset + 8)))
        ) {
          break;
        }
        const size = this.chunk.readUInt32LE(offset + 4);
        const id = this.takeId(ids, offset, this.length);
        this.readRecord(offset, size, id, out);
        accounted++;
        offset += size;
        continue;
      }
      if (!expected) break;
      endedIntact = false;
      if (problem === 'truncated') {
        const id = offset + 16 <= this.length ? this.takeId(ids, offset, undefined) : ids.next;
        const reason = `the input ends at offset ${this.fileOffset + this.length}, inside this record`;
        out.rejections.push(this.recordRejection(EVTX_CODES.truncated, id, offset, reason));
        accounted++;
        break;
      }

      // The record header is damaged: resume at the next intact record header, and reject
      // the records that the damaged span contained, as many as the record ids tell. The
      // search passes the free-space offset only when the declared count needs more records.
      let next = this.findRecord(offset + 1, offset < declaredEnd ? declaredEnd : this.length);
      const moreDeclared =
        (declared !== undefined && accounted + 1 < declared) ||
        (lastOffsetFits && lastOffset > offset);
      if (next < 0 && moreDeclared) {
        next = this.findRecord(Math.max(offset + 1, declaredEnd), this.length);
      }
      const span =
        next < 0
          ? 1
          : ids.lostBefore(
              readUInt64(this.chunk, next + 8),
              this.followingId(next, this.length),
              next - offset,
            );
      const rejected = Math.min(span, MAX_RECORDS_PER_CHUNK - accounted);
      this.rejectDamagedSpan(ids, offset, next, rejected, problem, out);
      accounted += rejected;
      ids.skip(rejected);
      if (next < 0) break;
      offset = next;
    }

    if (endedIntact) this.checkDeclaredEnd(header, declared, accounted, offset, warnings);
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
   * Rejects the `count` records lost in the damaged bytes from `offset` to `next` (-1: to the
   * end). The first is the record whose header at `offset` is damaged because of `problem`. The
   * others are placed at the record signatures inside the span when there are exactly enough of
   * them, and otherwise only the span is named.
   */
  private rejectDamagedSpan(
    ids: RecordIdSequence,
    offset: number,
    next: number,
    count: number,
    problem: string,
    out: ParseOutput,
  ): void {
    const end = next < 0 ? this.length : next;
    const signatures: number[] = [];
    let candidate = this.chunk.indexOf(RECORD_SIGNATURE, offset + 1);
    while (candidate >= 0 && candidate < end && signatures.length < count) {
      signatures.push(candidate);
      candidate = this.chunk.indexOf(RECORD_SIGNATURE, candidate + 1);
    }
    const placed = signatures.length === count - 1 && (candidate < 0 || candidate >= end);
    const from = this.fileOffset + offset;
    const to = this.fileOffset + end;
    out.rejections.push(this.recordRejection(EVTX_CODES.invalidRecord, ids.next, offset, problem));
    for (let index = 1; index < count; index++) {
      const id = ids.next + index;
      const reason = `lost in the damaged bytes from offset ${from} to ${to}`;
      const rejection = placed
        ? this.recordRejection(
            EVTX_CODES.invalidRecord,
            id,
            signatures[index - 1] as number,
            reason,
          )
        : this.spanRejection(id, reason);
      out.rejections.push(rejection);
    }
  }

  /**
   * Adds a warning when the records of a chunk read to their end disagree with the record count
   * or the free-space offset that the chunk header declares.
   */
  private checkDeclaredEnd(
    header: ChunkHeader,
    declared: number | undefined,
    accounted: number,
    end: number,
    warnings: string[],
  ): void {
    if (declared !== undefined && accounted > declared) {
      const first = formatUInt64(this.chunk, 8);
      const last = formatUInt64(this.chunk, 16);
      warnings.push(
        `the chunk header declares records ${first} to ${last} (${declared}) but the chunk holds ${accounted} records; all of them are read`,
      );
    }
    const freeSpace = header.freeSpaceOffset;
    if (accounted === 0 || freeSpace === end) return;
    if (freeSpace > CHUNK_HEADER_SIZE && freeSpace < end) {
      warnings.push(
        `the chunk header puts the free space at chunk offset ${freeSpace} but its records end at chunk offset ${end}; the records past the free space are read`,
      );
    } else if (freeSpace <= CHUNK_HEADER_SIZE || freeSpace > CHUNK_SIZE) {
      warnings.push(
        `the chunk header puts the free space at chunk offset ${freeSpace}, outside the record area; its records end at chunk offset ${end}`,
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
    const reason = ids.distrust(stored, following);
    const { id, trusted } = ids.take(stored, following);
    if (!trusted) {
      const text = formatUInt64(this.chunk, offset + 8);
      this.replacedIds.push({
        offset: this.fileOffset + offset,
        stored: text,
        id,
        reason: reason ?? 'it does not fit the ids around it',
      });
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

  /** Rejects a record whose offset inside a damaged span is not known. */
  private spanRejection(id: number, reason: string): Rejection {
    const message = `record ${id} (chunk ${this.chunkNumber()} at offset ${this.fileOffset}): ${reason}`;
    return {
      code: EVTX_CODES.invalidRecord,
      message,
      origin: { file: this.file, record: id, line: 0 },
    };
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
