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
 * Signatures of binary formats that are read in their own right, each with its offset: the file
 * header and the first chunk of an EVTX file, a zip archive, and a POSIX tar archive. Their data
 * can contain the gzip magic by chance, and an archive can contain whole gzip files, so such an
 * input is never searched for gzip members.
 */
const OTHER_FORMATS: readonly { offset: number; signature: Buffer }[] = [
  { offset: 0, signature: Buffer.from('ElfFile\0', 'latin1') },
  { offset: 4096, signature: Buffer.from('ElfChnk\0', 'latin1') },
  { offset: 0, signature: Buffer.from('PK\x03\x04', 'latin1') },
  { offset: 0, signature: Buffer.from('PK\x05\x06', 'latin1') },
  { offset: 257, signature: Buffer.from('ustar', 'latin1') },
];

/**
 * Tells whether an input whose first bytes are `head` is gzip data: it starts with the magic
 * 1f 8b, or its first member header has a damaged byte, or a valid member starts in the head
 * after junk. The gzip reader then skips what comes before the first valid member.
 *
 * Text never contains 1f 8b, which is not valid UTF-8, so a text input is gzip only when it
 * starts with the magic. NOTE: junk longer than SNIFF_BYTES before the first member hides the
 * member, and the input is read as plain content.
 */
export function isGzip(head: Buffer): boolean {
  if (head[0] === MAGIC[0] && head[1] === MAGIC[1]) return true;
  if (isOtherFormat(head)) return false;
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

function isOtherFormat(head: Buffer): boolean {
  return OTHER_FORMATS.some(({ offset, signature }) => {
    const end = offset + signature.length;
    return head.subarray(offset, end).equals(signature);
  });
}
