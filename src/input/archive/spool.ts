import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** A stream written to a temporary file, up to a size. */
export interface SpooledFile {
  path: string;
  /** Bytes written. */
  size: number;
  /** True when the stream had more than the bytes allowed, which were not written. */
  over: boolean;
  /** The error that ended the stream early, after the bytes before it were written. */
  failure: Error | undefined;
}

/** Folders of spools not yet disposed of, removed when the process exits. */
const liveFolders = new Set<string>();
let exitHookSet = false;

/**
 * Temporary files of a scan: archives that must be read at random places but arrive as a
 * stream (an archive inside a compressed zip entry, the text of a `.tar.gz`, an archive on
 * standard input). They go to one folder under the system's temporary folder (`TMPDIR`), which
 * `dispose` removes, or else the process's exit.
 */
export class ArchiveSpool {
  private folder: string | undefined;
  private files = 0;

  constructor(private readonly root = tmpdir()) {}

  /**
   * Writes a stream to a new temporary file, stopping after `maxBytes`. A stream that fails
   * keeps the bytes before the failure.
   */
  async write(stream: Readable, maxBytes: number, suffix: string): Promise<SpooledFile> {
    const path = join(this.ensureFolder(), `${String(++this.files).padStart(5, '0')}${suffix}`);
    const handle = await open(path, 'wx', 0o600);
    let size = 0;
    let over = false;
    let failure: Error | undefined;
    try {
      for await (const chunk of stream) {
        const bytes = chunk as Buffer;
        const room = maxBytes - size;
        await handle.write(bytes, 0, Math.min(room, bytes.length));
        size += Math.min(room, bytes.length);
        if (bytes.length > room) {
          over = true;
          break;
        }
      }
    } catch (error) {
      failure = error as Error;
    } finally {
      stream.destroy();
      await handle.close();
    }
    return { path, size, over, failure };
  }

  /** Removes the temporary files. Nothing may read them after. */
  dispose(): void {
    if (this.folder === undefined) return;
    rmSync(this.folder, { recursive: true, force: true });
    liveFolders.delete(this.folder);
    this.folder = undefined;
  }

  private ensureFolder(): string {
    if (this.folder !== undefined) return this.folder;
    this.folder = mkdtempSync(join(this.root, 'trustwatch-archive-'));
    liveFolders.add(this.folder);
    if (!exitHookSet) {
      exitHookSet = true;
      process.once('exit', removeLiveFolders);
    }
    return this.folder;
  }
}

function removeLiveFolders(): void {
  for (const folder of liveFolders) rmSync(folder, { recursive: true, force: true });
  liveFolders.clear();
}
