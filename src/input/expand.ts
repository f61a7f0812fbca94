import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../model/errors.js';
import type { InputFile, InputLocator } from './input-file.js';
import { gunzipIfCompressed, openFileBytes } from './open.js';
import { listZipEntries, openZipEntry } from './zip.js';

/** The path that stands for standard input. */
export const STDIN_PATH = '-';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

export interface ExpandOptions {
  stdin?: () => Readable;
}

/**
 * Expands command-line paths into input files: files as they are, folders recursively in name
 * order (hidden entries skipped), zip archives into their entries, `-` into standard input.
 * A path that does not exist is an error naming it; nothing is read yet.
 */
export async function expandPaths(paths: readonly string[], options: ExpandOptions = {}) {
  const files: InputFile[] = [];
  for (const path of paths) {
    if (path === STDIN_PATH) {
      files.push(stdinInput(options.stdin ?? (() => process.stdin)));
      continue;
    }
    await expandOne(path, files);
  }
  return files;
}

async function expandOne(path: string, into: InputFile[]): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new InputError('input.not_found', `cannot read input: ${(error as Error).message}`, {
      file: path,
    });
  }

  if (info.isDirectory()) {
    const names = (await readdir(path)).filter((name) => !name.startsWith('.')).sort();
    for (const name of names) await expandOne(join(path, name), into);
    return;
  }

  if (!info.isFile()) return;

  if (await isZip(path)) {
    for (const entry of await listZipEntries(path)) {
      into.push({
        path: `${path}/${entry.name}`,
        size: entry.size,
        mtimeMs: entry.mtimeMs,
        reopenable: true,
        locator: { kind: 'zip-entry', archive: path, entry: entry.name },
        open: () => openZipEntry(path, entry.name),
      });
    }
    return;
  }

  into.push({
    path,
    size: info.size,
    mtimeMs: info.mtimeMs,
    reopenable: true,
    locator: { kind: 'file', path },
    open: async () => openFileBytes(path),
  });
}

/** Rebuilds an input from its locator, as expansion made it, for another thread to read. */
export function reopenInput(
  path: string,
  size: number | undefined,
  mtimeMs: number | undefined,
  locator: InputLocator,
): InputFile {
  const open =
    locator.kind === 'file'
      ? async () => openFileBytes(locator.path)
      : () => openZipEntry(locator.archive, locator.entry);
  return { path, size, mtimeMs, reopenable: true, locator, open };
}

async function isZip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return bytesRead === 4 && ZIP_MAGIC.every((byte, index) => buffer[index] === byte);
  } finally {
    await handle.close();
  }
}

function stdinInput(stdin: () => Readable): InputFile {
  let opened = false;
  return {
    path: STDIN_PATH,
    size: undefined,
    mtimeMs: undefined,
    reopenable: false,
    open: async () => {
      if (opened) throw new InputError('input.stdin', 'standard input can be read only once');
      opened = true;
      return gunzipIfCompressed(stdin());
    },
  };
}
