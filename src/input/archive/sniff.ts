import { constants, gunzipSync, inflateRawSync } from 'node:zlib';

/**
 * Content sniffing for archives: the kind of container that bytes start with, detected by magic bytes
 * and, for tar, by the header checksum, never by the file name.
 */

/** An archive that trustwatch expands into its entries. */
export type ArchiveKind = 'zip' | 'tar';

/**
 * Kind of content that an input or entry starts with: an archive to expand, possibly inside a
 * gzip stream (`.tar.gz`, `.tgz`, `.zip.gz`), or anything else, which is read as one input.
 */
export interface ContentKind {
  archive: ArchiveKind | undefined;
  gzip: boolean;
}

/**
 * Bytes read from the start of an input or entry to tell its kind. A tar header is 512 bytes,
 * and a compressed prefix of 4 KiB contains them even behind a gzip header with a long file name.
 */
export const SNIFF_BYTES = 4096;

const TAR_BLOCK = 512;
const TAR_CHECKSUM_OFFSET = 148;
const TAR_CHECKSUM_LENGTH = 8;
const SPACE = 0x20;

const ZIP_LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
/** An archive of no entries is only its end-of-central-directory record. */
const ZIP_END_RECORD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/** Returns the kind of content that `head`, the first bytes of an input, starts with. */
export function sniffContent(head: Buffer): ContentKind {
  if (!startsWith(head, GZIP_MAGIC)) return { archive: sniffArchive(head), gzip: false };
  return { archive: sniffArchive(inflatePrefix(head, 'gzip')), gzip: true };
}

/** Returns the archive kind that uncompressed bytes start with, or undefined. */
export function sniffArchive(head: Buffer): ArchiveKind | undefined {
  if (startsWith(head, ZIP_LOCAL_HEADER) || startsWith(head, ZIP_END_RECORD)) return 'zip';
  if (isTarHeader(head)) return 'tar';
  return undefined;
}

/**
 * Decompresses as much of a cut deflate or gzip stream as its bytes allow, to sniff what it
 * holds. Returns no bytes for a stream that is damaged from its start.
 */
export function inflatePrefix(compressed: Buffer, wrapper: 'gzip' | 'raw'): Buffer {
  // A sync flush returns the text of a cut stream instead of failing with "unexpected end".
  const options = { finishFlush: constants.Z_SYNC_FLUSH };
  try {
    return wrapper === 'gzip'
      ? gunzipSync(compressed, options)
      : inflateRawSync(compressed, options);
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * Tells whether a block is a tar header: a name, and a checksum field that matches the sum of
 * the header's bytes with the field read as spaces (POSIX ustar, GNU and pre-POSIX tar alike).
 * Some old writers summed signed bytes, so that sum is accepted too.
 */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < TAR_BLOCK || block[0] === 0) return false;
  const stored = parseOctalField(block, TAR_CHECKSUM_OFFSET, TAR_CHECKSUM_LENGTH);
  if (stored === undefined) return false;

  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < TAR_BLOCK; index++) {
    const inField =
      index >= TAR_CHECKSUM_OFFSET && index < TAR_CHECKSUM_OFFSET + TAR_CHECKSUM_LENGTH;
    const byte = inField ? SPACE : (block[index] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Parses an octal number field padded with spaces or NULs, or returns undefined. */
function parseOctalField(block: Buffer, offset: number, length: number): number | undefined {
  const text = block
    .subarray(offset, offset + length)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : undefined;
}

function startsWith(bytes: Buffer, magic: Buffer): boolean {
  return bytes.length >= magic.length && bytes.subarray(0, magic.length).equals(magic);
}

/** A container or compressed format that trustwatch does not read, detected by its magic bytes. */
interface UnreadFormat {
  magic: RegExp;
  description: string;
  action: string;
}

/**
 * Containers and compressors that trustwatch does not read, with what to do instead. The
 * patterns run on the first bytes as Latin-1 text, anchored at the start.
 */
const UNREAD_FORMATS: readonly UnreadFormat[] = [
  {
    magic: /^7z\xbc\xaf\x27\x1c/,
    description: 'a 7-Zip archive',
    action: 'extract it first (7z x)',
  },
  {
    magic: /^Rar!\x1a\x07(\x00|\x01\x00)/,
    description: 'a RAR archive',
    action: 'extract it first',
  },
  {
    magic: /^\xfd7zXZ\x00/,
    description: 'an xz-compressed file',
    action: 'decompress it first (xz -d, or tar -xJf for a .tar.xz)',
  },
  {
    // The magic, the block size digit, then the first block's magic or the end-of-stream one.
    magic: /^BZh[1-9](1AY&SY|\x17rE8P\x90)/,
    description: 'a bzip2-compressed file',
    action: 'decompress it first (bunzip2, or tar -xjf for a .tar.bz2)',
  },
  {
    magic: /^\x28\xb5\x2f\xfd/,
    description: 'a Zstandard-compressed file',
    action: 'decompress it first (zstd -d, or tar --zstd -xf for a .tar.zst)',
  },
  {
    magic: /^\x04\x22\x4d\x18/,
    description: 'an LZ4-compressed file',
    action: 'decompress it first (lz4 -d)',
  },
  {
    magic: /^LZIP\x01/,
    description: 'an lzip-compressed file',
    action: 'decompress it first (lzip -d)',
  },
  {
    magic: /^\x1f\x9d/,
    description: 'a compress (.Z) file',
    action: 'decompress it first (uncompress or gzip -d)',
  },
  {
    magic: /^MSCF\x00\x00\x00\x00/,
    description: 'a Microsoft Cabinet archive',
    action: 'extract it first (expand or cabextract)',
  },
  {
    // The marker that starts the first part of a split zip archive.
    magic: /^PK\x07\x08PK\x03\x04/,
    description: 'a split zip archive',
    action: 'join its parts into one archive first (zip -s 0 parts.zip --out whole.zip)',
  },
];

/**
 * Returns why an input that starts with `head` is not read when it is a container or compressed
 * file that trustwatch does not read, such as "a 7-Zip archive, which trustwatch does not read:
 * extract it first (7z x)". Returns undefined for any other content.
 */
export function describeUnreadFormat(head: Buffer): string | undefined {
  const start = head.subarray(0, 16).toString('latin1');
  const format = UNREAD_FORMATS.find((candidate) => candidate.magic.test(start));
  if (!format) return undefined;
  return `${format.description}, which trustwatch does not read: ${format.action}`;
}
