/**
 * A structure inside an EVTX chunk that cannot be read. The offset is relative to the start of
 * the chunk, because the parsers below the chunk level see only the chunk's 64 KiB; the chunk
 * reader adds the chunk's file offset when it turns the error into a rejection.
 */
export class EvtxParseError extends Error {
  readonly code: string;
  readonly chunkOffset: number;

  constructor(code: string, message: string, chunkOffset: number) {
    super(message);
    this.name = 'EvtxParseError';
    this.code = code;
    this.chunkOffset = chunkOffset;
  }
}

/** Rejection codes of the EVTX reader, one per kind of damage. */
export const EVTX_CODES = {
  /** The Binary XML of a record is invalid: unknown token, bad offset, bad value. */
  invalidBinXml: 'evtx_invalid_binxml',
  /** A record header is invalid: signature, size or trailing size copy. */
  invalidRecord: 'evtx_invalid_record',
  /** A record the chunk header counts but that could not be found in the chunk. */
  missingRecord: 'evtx_missing_record',
  /** A record or chunk cut off by the end of the input. */
  truncated: 'evtx_truncated',
  /** A record whose expansion exceeds the size or nesting limits. */
  tooComplex: 'evtx_too_complex',
} as const;
