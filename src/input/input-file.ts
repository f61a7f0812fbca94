import type { Readable } from 'node:stream';
import type { ArchiveLocator } from './archive/locate.js';

/**
 * One readable input: a file, an entry of a zip or tar archive, or standard input. `open` returns the
 * decompressed bytes; a file can be opened more than once, standard input only once.
 */
export interface InputFile {
  /** The path as given on the command line, joined with the path inside a folder or archive. */
  path: string;
  /**
   * The input's identity however its path is spelled: the real path (symbolic links, `.` and
   * `..` resolved), with the entry name for an archive entry, and `-` for standard input.
   */
  key: string;
  size: number | undefined;
  mtimeMs: number | undefined;
  /** True when `open` can be called again (false for standard input). */
  reopenable: boolean;
  /** Where the bytes are, for opening the input again in another thread; not for stdin. */
  locator?: InputLocator;
  open(): Promise<Readable>;
}

/** A file on disk, or an entry of an archive on disk or in the scan's temporary files. */
export type InputLocator = { kind: 'file'; path: string } | ArchiveLocator;
