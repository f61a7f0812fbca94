import type { Stats } from 'node:fs';
import { constants, createReadStream } from 'node:fs';
import { access, open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../model/errors.js';
import { type Logger, silentLogger } from '../model/logger.js';
import type { InputFile, InputLocator } from './input-file.js';
import { gunzipIfCompressed, openFileBytes } from './open.js';
import { listZipEntries, openZipEntry } from './zip.js';

/** The path that stands for standard input. */
export const STDIN_PATH = '-';

/**
 * First bytes of a zip archive: a local file header, or the end-of-central-directory record
 * that an archive with no entries consists of (22 bytes when it has no comment).
 */
const ZIP_MAGICS = [
  [0x50, 0x4b, 0x03, 0x04],
  [0x50, 0x4b, 0x05, 0x06],
];

/** Names of skipped hidden entries listed in the warning on a zip archive with no input files. */
const LISTED_HIDDEN_ENTRIES = 10;

export interface ExpandOptions {
  stdin?: () => Readable;
  /** Receives a warning for each input given more than once. */
  logger?: Logger;
}

/**
 * Expands command-line paths into input files: files as they are, folders recursively in name
 * order (hidden entries skipped), zip archives into their entries, `-` into standard input.
 * Symbolic links to folders are followed, and a link back to a folder being expanded is a loop
 * that is not followed.
 *
 * A command-line path that does not exist or that this process may not read is an error naming
 * it. Every other entry that cannot be read becomes an input whose `open` fails with the reason,
 * so that the scan reports it and goes on with the rest. Such entries are dangling links, loops, files and folders without read
 * permission, damaged zip archives, and sockets or devices inside a folder. A file reached twice (given
 * twice, or given beside a folder that contains it) is read once, with a warning. Nothing is
 * read yet, except the first bytes of each file to tell zip archives apart.
 */
export async function expandPaths(
  paths: readonly string[],
  options: ExpandOptions = {},
): Promise<InputFile[]> {
  const expansion = new Expansion(options.logger ?? silentLogger);
  for (const path of paths) {
    if (path === STDIN_PATH) expansion.addStdin(options.stdin ?? (() => process.stdin));
    else await expansion.addArgument(path);
  }
  return expansion.files;
}

class Expansion {
  readonly files: InputFile[] = [];
  /** The path each file or archive was first reached by, keyed by device and inode. */
  private readonly seenFiles = new Map<string, string>();
  /** The path each folder was first expanded by, keyed by its real path. */
  private readonly seenFolders = new Map<string, string>();
  private stdinAdded = false;
  /** Paths that led to a file or folder already added, each warned about once. */
  private repeated = 0;

  constructor(private readonly logger: Logger) {}

  addStdin(stdin: () => Readable): void {
    if (this.stdinAdded) {
      this.warnTwice(STDIN_PATH, STDIN_PATH);
      return;
    }
    this.stdinAdded = true;
    this.files.push(onceInput(STDIN_PATH, () => gunzipIfCompressed(stdin())));
  }

  async addArgument(path: string): Promise<void> {
    const info = await statArgument(path);

    // A named pipe or device on the command line (`<(zcat …)`) is read once, as standard input.
    if (info.isFIFO() || info.isCharacterDevice()) {
      this.files.push(onceInput(path, () => gunzipIfCompressed(createReadStream(path))));
      return;
    }
    const found = this.files.length + this.repeated;
    const folders = this.seenFolders.size;
    await this.addEntry(path, info, []);
    if (this.seenFolders.size > folders && this.files.length + this.repeated === found) {
      this.logger.warn('folder contains no input files; check the path', { file: path });
    }
  }

  /** Adds an entry found inside a folder. */
  private async addChild(path: string, ancestors: readonly Folder[]): Promise<void> {
    let info: Stats;
    try {
      info = await stat(path);
    } catch (error) {
      this.addFailed(path, await statFailure(path, error as NodeJS.ErrnoException));
      return;
    }
    await this.addEntry(path, info, ancestors);
  }

  private async addEntry(path: string, info: Stats, ancestors: readonly Folder[]): Promise<void> {
    if (info.isDirectory()) await this.addFolder(path, ancestors);
    else if (info.isFile()) await this.addFile(path, info);
    else this.addFailed(path, 'not a regular file or folder (a socket, pipe or device)');
  }

  private async addFolder(path: string, ancestors: readonly Folder[]): Promise<void> {
    let real: string;
    let names: string[];
    try {
      real = await realpath(path);
    } catch (error) {
      this.addFailed(path, (error as Error).message);
      return;
    }

    const loop = ancestors.find((folder) => folder.real === real);
    if (loop) {
      this.addFailed(path, `symbolic link loop: it leads back to ${loop.path}, not followed`);
      return;
    }
    const first = this.seenFolders.get(real);
    if (first !== undefined) {
      this.warnTwice(path, first);
      return;
    }
    this.seenFolders.set(real, path);

    try {
      names = await readdir(path);
    } catch (error) {
      this.addFailed(path, (error as Error).message);
      return;
    }
    const inside = [...ancestors, { path, real }];
    for (const name of names.filter((entry) => !entry.startsWith('.')).sort()) {
      await this.addChild(join(path, name), inside);
    }
  }

  private async addFile(path: string, info: Stats): Promise<void> {
    let key: string;
    let zip: boolean;
    try {
      key = await realpath(path);
      zip = await isZip(path);
    } catch (error) {
      this.addFailed(path, (error as Error).message);
      return;
    }

    const identity = info.ino > 0 ? `${info.dev}:${info.ino}` : key;
    const first = this.seenFiles.get(identity);
    if (first !== undefined) {
      this.warnTwice(path, first);
      return;
    }
    this.seenFiles.set(identity, path);

    if (zip) {
      await this.addZip(path, key);
      return;
    }
    this.files.push({
      path,
      key,
      size: info.size,
      mtimeMs: info.mtimeMs,
      reopenable: true,
      locator: { kind: 'file', path },
      open: async () => openFileBytes(path),
    });
  }

  private async addZip(path: string, key: string): Promise<void> {
    let entries: Awaited<ReturnType<typeof listZipEntries>>;
    try {
      entries = await listZipEntries(path);
    } catch (error) {
      this.addFailed(path, (error as Error).message);
      return;
    }
    // An unsafe name such as ../x is reported, not left out as a hidden entry.
    const hidden = entries.filter((entry) => !entry.skipped && isHiddenEntry(entry.name));
    if (hidden.length > 0) {
      this.logger.info('hidden zip entries skipped', { file: path, count: hidden.length });
    }
    const found = this.files.length;
    for (const entry of entries) {
      if (entry.skipped !== undefined) {
        this.addFailed(`${path}/${entry.name}`, entry.skipped);
        continue;
      }
      if (isHiddenEntry(entry.name)) continue;
      this.files.push({
        path: `${path}/${entry.name}`,
        key: `${key}/${entry.name}`,
        size: entry.size,
        mtimeMs: entry.mtimeMs,
        reopenable: true,
        locator: { kind: 'zip-entry', archive: path, entry: entry.name },
        open: () => openZipEntry(path, entry.name),
      });
    }
    if (this.files.length === found) this.warnEmptyZip(path, hidden);
  }

  /** Warns of a zip archive with no input files, as of a folder, naming its hidden entries. */
  private warnEmptyZip(path: string, hidden: readonly { name: string }[]): void {
    const fields: Record<string, unknown> = { file: path };
    if (hidden.length > 0) {
      const names = hidden.slice(0, LISTED_HIDDEN_ENTRIES).map((entry) => entry.name);
      const more = hidden.length - names.length;
      fields.hidden = more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
    }
    this.logger.warn('zip archive contains no input files; check the path', fields);
  }

  /** Adds an entry that cannot be read: opening it fails with the reason. */
  private addFailed(path: string, reason: string): void {
    this.files.push({
      path,
      key: path,
      size: undefined,
      mtimeMs: undefined,
      reopenable: true,
      open: () => Promise.reject(new InputError('input.unreadable', reason)),
    });
  }

  private warnTwice(path: string, first: string): void {
    this.repeated++;
    this.logger.warn('input given more than once: it is read once', { file: path, first });
  }
}

interface Folder {
  path: string;
  real: string;
}

/**
 * Checks that every command-line path but `-` exists and can be read, before anything is
 * opened; throws an InputError naming the first that does not.
 */
export async function checkInputPaths(paths: readonly string[]): Promise<void> {
  for (const path of paths) if (path !== STDIN_PATH) await statArgument(path);
}

/** Returns the status of a command-line path, or throws an InputError when it cannot be read. */
async function statArgument(path: string): Promise<Stats> {
  const fail = (code: string, error: unknown): InputError =>
    new InputError(code, `cannot read input: ${(error as Error).message}`, { file: path });
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    throw fail(missing ? 'input.not_found' : 'input.unreadable', error);
  }
  try {
    await access(path, info.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK);
  } catch (error) {
    throw fail('input.unreadable', error);
  }
  return info;
}

/** Explains why an entry inside a folder cannot be opened, naming a dangling link's target. */
async function statFailure(path: string, error: NodeJS.ErrnoException): Promise<string> {
  if (error.code === 'ELOOP') return 'symbolic link loop: the link leads back to itself';
  if (error.code !== 'ENOENT') return error.message;
  try {
    const target = await readlink(path);
    return `dangling symbolic link: its target ${target} does not exist`;
  } catch {
    return error.message;
  }
}

/** Rebuilds an input from its locator, as expansion made it, for another thread to read. */
export function reopenInput(
  identity: { path: string; key: string; size: number | undefined; mtimeMs: number | undefined },
  locator: InputLocator,
): InputFile {
  const open =
    locator.kind === 'file'
      ? async () => openFileBytes(locator.path)
      : () => openZipEntry(locator.archive, locator.entry);
  return { ...identity, reopenable: true, locator, open };
}

async function isZip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    if (bytesRead < 4) return false;
    return ZIP_MAGICS.some((magic) => magic.every((byte, index) => buffer[index] === byte));
  } finally {
    await handle.close();
  }
}

/** Creates an input that can be read only once: standard input, a named pipe. */
function onceInput(path: string, read: () => Promise<Readable>): InputFile {
  let opened = false;
  return {
    path,
    key: path,
    size: undefined,
    mtimeMs: undefined,
    reopenable: false,
    open: async () => {
      if (opened) throw new InputError('input.stdin', `${path} can be read only once`);
      opened = true;
      return read();
    },
  };
}

/**
 * Zip entries left out as folders leave out hidden entries: names with a part that starts with
 * a dot, and the `__MACOSX` folder of resource forks that the macOS archiver adds.
 */
function isHiddenEntry(name: string): boolean {
  return name.split('/').some((part) => part.startsWith('.') || part === '__MACOSX');
}
