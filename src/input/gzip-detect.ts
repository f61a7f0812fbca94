import { constants, inflateRawSync } from 'node:zlib';
import { couldStartHeader, GzipHeaderError, GzipHeaderParser } from './gzip-header.js';

/**
 * Bytes at the start of an input that are searched for gzip data: the magic at its first byte,
 * a first member header with one damaged byte, or a member after junk. It is the head that
 * format detection reads.
 */
export const SNIFF_BYTES = 64 * 1024;

/** Deflate data inflated to check a member found after junk, from the start of its data. */
const CHECKED_DEFLATE_BYTES = 4096;

const MAGIC = [0x1f, 0x8b, 0x08] as const;
const FLAGS_RESERVED = 0xe0;

/**
 * Signatures of the file header and of the first chunk (at byte 4096) of an EVTX file, the one
 * binary format read. Binary data can contain the gzip magic by chance, so such a file is never
 * searched for gzip members.
 */
const EVTX_FILE_SIGNATURE = Buffer.from('ElfFile\0', 'latin1');
const EVTX_CHUNK_SIGNATURE = Buffer.from('ElfChnk\0', 'latin1');
const EVTX_CHUNK_OFFSET = 4096;

/**
 * Tells whether an input whose first bytes are `head` is gzip data: it starts with the magic
 * 1f 8b, or its first member header has a damaged byte, or a valid member starts in the head
 * after junk. The gzip reader then skips what comes before the first valid member.
 *
 * Text never contains 1f 8b, which is not valid UTF-8, so a text input is gzip only when it
 * starts with the magic, as before. NOTE: junk longer than SNIFF_BYTES before the first member
 * hides the member, and the input is read as plain content.
 */
export function isGzip(head: Buffer): boolean {
  if (head[0] === MAGIC[0] && head[1] === MAGIC[1]) return true;
  if (isEvtx(head)) return false;
  return hasDamagedMagic(head) || findMemberAfterJunk(head) !== undefined;
}

/**
 * Tells whether the head starts as a member header in which one of the magic and method bytes
 * 1f 8b 08 is damaged: the other two are in place and the flags set no reserved bit. No text
 * starts so, because 8b or 08 then comes among control bytes.
 */
function hasDamagedMagic(head: Buffer): boolean {
  if (head.length < 4) return false;
  const matching = MAGIC.filter((byte, index) => head[index] === byte).length;
  return matching === 2 && ((head[3] as number) & FLAGS_RESERVED) === 0;
}

/** Returns the offset of the first valid member header in the head, if any. */
function findMemberAfterJunk(head: Buffer): number | undefined {
  let index = head.indexOf(MAGIC[0]);
  while (index >= 0) {
    if (couldStartHeader(head, index) && isMemberStart(head, index)) return index;
    index = head.indexOf(MAGIC[0], index + 1);
  }
  return undefined;
}

/**
 * Tells whether a valid member starts at `index`: its whole header is in the head and parses,
 * and its first deflate bytes in the head inflate without error. Random bytes that happen to
 * contain the magic nearly always fail the second check.
 */
function isMemberStart(head: Buffer, index: number): boolean {
  const parser = new GzipHeaderParser();
  let end: number;
  try {
    end = parser.parse(head, index);
  } catch (error) {
    if (error instanceof GzipHeaderError) return false;
    throw error;
  }
  const deflate = head.subarray(end, end + CHECKED_DEFLATE_BYTES);
  if (!parser.done || deflate.length === 0) return false;
  try {
    // A sync flush returns what the bytes decode to, where the default fails at their end.
    inflateRawSync(deflate, { finishFlush: constants.Z_SYNC_FLUSH });
    return true;
  } catch {
    return false;
  }
}

function isEvtx(head: Buffer): boolean {
  const chunkEnd = EVTX_CHUNK_OFFSET + EVTX_CHUNK_SIGNATURE.length;
  return (
    head.subarray(0, EVTX_FILE_SIGNATURE.length).equals(EVTX_FILE_SIGNATURE) ||
    head.subarray(EVTX_CHUNK_OFFSET, chunkEnd).equals(EVTX_CHUNK_SIGNATURE)
  );
}
