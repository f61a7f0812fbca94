import type { DetectSample, SourceFormat } from '../format.js';
import { windowsEventSummary } from '../windows/fields.js';
import { CHUNK_SIGNATURE } from './chunk-header.js';
import { readEvtx } from './evtx-reader.js';
import { FILE_HEADER_SIZE, FILE_SIGNATURE } from './file-header.js';

/**
 * Windows binary event logs (.evtx), of every channel, read natively: events come out with
 * the field names and values that the Windows XML source gives for the same event.
 *
 * Covered:
 * - the file header: signature, version 3.1/3.2, chunk count, dirty and full flags, CRC32. A
 *   file whose header signature is damaged is recognised by its first chunk's signature;
 * - every 64 KiB chunk in the file, whatever the header counts, with the CRC32 checksums of
 *   its header and of its records (a mismatch is logged and the records are read anyway).
 *   Records are found by their own signature and size: a chunk header whose record count or
 *   free-space offset disagrees with them is distrusted with a warning;
 * - records: signature, size and its trailing copy, record id and written time. The id is
 *   checked against the chunk header's ids and the records around it, and one that does not
 *   fit is replaced by the record's position, with a warning. A written time that is unset or
 *   past the year 9999 is no event time;
 * - Binary XML: fragments, elements, attributes, text, CDATA, character and entity references,
 *   processing instructions, template instances with their definitions (inline or by offset,
 *   cached per chunk), normal and optional substitutions, start tags with or without the
 *   dependency id;
 * - every substitution value type: null, UTF-16 and ANSI strings, signed and unsigned 8 to 64
 *   bit integers, real32/real64, bool, binary, GUID, size_t, FILETIME, SYSTEMTIME, SID,
 *   HexInt32/HexInt64, nested BinXml, and arrays of the fixed-size types, strings and SIDs;
 * - damaged input: every record that can still be read is yielded, and the others become
 *   rejections that name the file offset.
 *
 * Not covered:
 * - records in the slack space after a chunk's free-space offset (deleted or overwritten
 *   records, which forensic tools "recover");
 * - the string and template hash tables of the chunk header, which the reader does not need
 *   because records refer to names and templates by offset;
 * - event message text, which is in the providers' resource files and not in the log, and
 *   ProcessingErrorData, which Windows writes instead of EventData when the data does not fit
 *   the template and which the XML source does not read either.
 *
 * NOTE: ANSI strings are decoded as Windows-1252 whatever the writer's code page, and array
 * values are joined with ", " into one text because no Windows rendering of them was at hand
 * to compare with. Values keep the CR LF line ends they were written with, while the XML source
 * gets LF only, because XML parsers normalize line ends.
 */
export const evtxFormat: SourceFormat = {
  name: 'evtx',
  description: 'Windows binary event logs (.evtx files of every channel)',
  framing: 'binary',
  detect(sample: DetectSample): number {
    const head = Buffer.from(sample.head.buffer, sample.head.byteOffset, sample.head.length);
    if (hasSignature(head, 0, FILE_SIGNATURE)) return 1;
    // A damaged file header leaves the first chunk's signature right after it.
    return hasSignature(head, FILE_HEADER_SIZE, CHUNK_SIGNATURE) ? 0.9 : 0;
  },
  summarize: windowsEventSummary,
  binary: { read: readEvtx },
};

function hasSignature(head: Buffer, offset: number, signature: Buffer): boolean {
  if (head.length < offset + signature.length) return false;
  return head.subarray(offset, offset + signature.length).equals(signature);
}
