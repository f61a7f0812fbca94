import yauzl from 'yauzl';

/**
 * Decoding of zip entry names. The zip format (APPNOTE 6.3, appendix D) has names in CP437
 * unless bit 11 of the general purpose flags marks them UTF-8. Info-ZIP `zip` 3.0 on Linux and
 * macOS writes the file system's UTF-8 bytes without setting the bit, so read as CP437,
 * `Sécurité.evtx` shows as `S├⌐curit├⌐.evtx`.
 */

const UTF8_FLAG = 0x800;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** C1 control characters, which no file system name holds. */
const C1_CONTROLS = /[\u0080-\u009f]/;
/** Characters that a code point per byte gives for bytes 0x80 to 0xFF. */
const ONE_BYTE_CODE_POINTS = /^[\u0000-\u00ff]*$/;

/**
 * Decodes an entry name, in this order:
 * 1. the Info-ZIP Unicode Path extra field (0x7075), when its CRC-32 matches the name's bytes;
 * 2. UTF-8 when the entry's UTF-8 flag is set;
 * 3. UTF-8 when the bytes are valid UTF-8 and not all ASCII, as Info-ZIP `zip` writes them;
 * 4. CP437 otherwise.
 * yauzl 3.4 does steps 1, 2 and 4. A UTF-8 name that contains C1 control characters and no
 * character past U+00FF was written by a tool that turned each CP437 byte into the code point
 * of the same number, so those numbers are decoded as CP437 again. Backslashes become slashes.
 */
export function decodeEntryName(
  flags: number,
  raw: Buffer,
  extraFields: readonly { id: number; data: Buffer }[],
): string {
  const utf8 = (flags & UTF8_FLAG) === 0 && isNonAsciiUtf8(raw) ? flags | UTF8_FLAG : flags;
  const name = yauzl.getFileNameLowLevel(utf8, raw, [...extraFields], false);
  if (!C1_CONTROLS.test(name) || !ONE_BYTE_CODE_POINTS.test(name)) return name;
  return yauzl.getFileNameLowLevel(0, Buffer.from(name, 'latin1'), [], false);
}

function isNonAsciiUtf8(raw: Buffer): boolean {
  if (!raw.some((byte) => byte >= 0x80)) return false;
  try {
    strictUtf8.decode(raw);
    return true;
  } catch {
    return false;
  }
}
