import type { LogFields } from '../../model/logger.js';
import type { ParseContext, ParseOutput } from '../format.js';
import { BlockReader } from './blocks.js';
import { CHUNK_SIZE } from './chunk-header.js';
import { ChunkReader, type ReplacedId } from './chunk-reader.js';
import { FILE_HEADER_SIZE, type FileHeader, parseFileHeader } from './file-header.js';
import { EVTX_CODES } from './parse-error.js';

/**
 * Reads an EVTX byte stream chunk by chunk and yields one batch of events and rejections per
 * chunk. Only the current chunk and its caches are held, so memory does not grow with the
 * file. Every chunk present is read, whatever the file header counts, because the header lags
 * behind in a dirty file; unused (all-zero) chunks are skipped.
 */

/** Defined part of the file header, enough to parse its fields. */
const FILE_HEADER_FIELDS = 128;

/** Chunks with bad checksums that are logged one by one; the rest are only counted. */
const MAX_CHECKSUM_WARNINGS = 5;

/** Chunk header problems that are logged one by one; the rest are only counted. */
const MAX_CHUNK_WARNINGS = 5;

/** Replaced record header ids that are logged one by one; the rest are only counted. */
const MAX_ID_WARNINGS = 5;

export async function* readEvtx(
  chunks: AsyncIterable<Buffer>,
  context: ParseContext,
): AsyncIterable<ParseOutput> {
  const blocks = new BlockReader(chunks);
  const headerBytes = await blocks.read(FILE_HEADER_SIZE);
  if (headerBytes.length === 0) return;

  if (headerBytes.length < FILE_HEADER_SIZE) {
    const message = `the input ends at offset ${headerBytes.length}, inside the ${FILE_HEADER_SIZE}-byte file header`;
    const origin = { file: context.file, record: 0, line: 0 };
    yield { events: [], rejections: [{ code: EVTX_CODES.truncated, message, origin }] };
    return;
  }
  const header = parseFileHeader(headerBytes.subarray(0, FILE_HEADER_FIELDS));

  const reader = new ChunkReader(context);
  const checksums = { failed: 0, chunks: 0 };
  let replacedIds = 0;
  let chunkWarnings = 0;
  let chunkPositions = 0;
  let completeChunks = 0;

  while (true) {
    const offset = blocks.offset;
    const block = await blocks.read(CHUNK_SIZE);
    if (block.length === 0) break;
    chunkPositions++;

    const out: ParseOutput = { events: [], rejections: [] };
    const summary = reader.read(block, block.length, offset, out);
    // A cut-off chunk cannot be checked, and the head-only peek reads only such a chunk.
    if (block.length === CHUNK_SIZE) {
      completeChunks++;
      replacedIds = logReplacedIds(summary.replacedIds ?? [], replacedIds, offset, context);
      chunkWarnings = logChunkWarnings(summary.warnings ?? [], chunkWarnings, offset, context);
      if (summary.header) {
        checksums.chunks++;
        const { headerChecksumValid, recordsChecksumValid } = summary.header;
        if (!headerChecksumValid || recordsChecksumValid === false) {
          checksums.failed++;
          if (checksums.failed <= MAX_CHECKSUM_WARNINGS) {
            context.logger.warn('EVTX chunk checksum mismatch; its records are read anyway', {
              file: context.file,
              offset,
              header_checksum_valid: headerChecksumValid,
              records_checksum_valid: recordsChecksumValid,
            });
          }
        }
      }
    }
    if (out.events.length > 0 || out.rejections.length > 0) yield out;
    if (block.length < CHUNK_SIZE) break;
  }

  if (header.signatureValid && chunkPositions < header.chunkCount) {
    const end: ParseOutput = { events: [], rejections: [] };
    end.rejections.push({
      code: EVTX_CODES.truncated,
      message: `the file header counts ${header.chunkCount} chunks but the input ends at offset ${blocks.offset} after ${chunkPositions}; the records of the missing chunks are lost`,
      origin: { file: context.file, record: 0, line: 0 },
    });
    yield end;
  }
  if (completeChunks > 0) logFileProblems(header, checksums, context);
  if (chunkWarnings > MAX_CHUNK_WARNINGS) {
    context.logger.warn('EVTX chunk headers that disagree with their records were distrusted', {
      file: context.file,
      chunk_warnings_total: chunkWarnings,
    });
  }
  if (replacedIds > MAX_ID_WARNINGS) {
    context.logger.warn('EVTX record header ids that were not trusted were replaced', {
      file: context.file,
      replaced_ids_total: replacedIds,
    });
  }
}

/**
 * Logs the record header ids of a chunk that were replaced, up to MAX_ID_WARNINGS for the file
 * after the `logged` ones, and returns how many the file had so far.
 */
function logReplacedIds(
  replacedIds: readonly ReplacedId[],
  logged: number,
  chunkOffset: number,
  context: ParseContext,
): number {
  let count = logged;
  for (const replaced of replacedIds) {
    if (++count > MAX_ID_WARNINGS) continue;
    context.logger.warn('EVTX record header id not trusted; numbering the record by its position', {
      file: context.file,
      chunk_offset: chunkOffset,
      offset: replaced.offset,
      stored_id: replaced.stored,
      record: replaced.id,
      reason: replaced.reason,
    });
  }
  return count;
}

/**
 * Logs the chunk header problems of a chunk, up to MAX_CHUNK_WARNINGS for the file after the
 * `logged` ones, and returns how many the file had so far. A chunk header is no record, so its
 * damage is a warning and the records it covers are counted one by one.
 */
function logChunkWarnings(
  warnings: readonly string[],
  logged: number,
  chunkOffset: number,
  context: ParseContext,
): number {
  let count = logged;
  for (const reason of warnings) {
    if (++count > MAX_CHUNK_WARNINGS) continue;
    context.logger.warn('EVTX chunk header damaged; its records are read by their own headers', {
      file: context.file,
      chunk_offset: chunkOffset,
      reason,
    });
  }
  return count;
}

/** Logs problems of the whole file, once it was read past its head. */
function logFileProblems(
  header: FileHeader,
  checksums: { failed: number; chunks: number },
  context: ParseContext,
): void {
  const fields: LogFields = { file: context.file };
  if (!header.signatureValid) {
    // The file header contains no records, so its damage is a warning and not a rejection.
    context.logger.warn('EVTX file header has no ElfFile signature; its chunks are read', fields);
  }
  if (header.signatureValid && !header.checksumValid) {
    context.logger.warn('EVTX file header checksum mismatch; its chunks are read anyway', fields);
  }
  if (header.signatureValid && (header.majorVersion !== 3 || header.minorVersion > 2)) {
    context.logger.warn('EVTX file version is not 3.1 or 3.2; reading it as 3.2', {
      ...fields,
      version: `${header.majorVersion}.${header.minorVersion}`,
    });
  }
  if (header.dirty) {
    context.logger.debug('EVTX file is dirty (not closed cleanly); its header counts may lag', {
      ...fields,
    });
  }
  if (checksums.failed > 0) {
    context.logger.warn('EVTX chunks with checksum mismatches were read anyway', {
      ...fields,
      chunks_total: checksums.chunks,
      bad_checksum_chunks_total: checksums.failed,
    });
  }
}
