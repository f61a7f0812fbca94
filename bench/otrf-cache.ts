/**
 * Unzips the OTRF Security-Datasets host archives into the cache folder, one folder per archive,
 * and reuses the folders of earlier runs. An archive is unzipped into a temporary folder that is
 * renamed when complete, so an interrupted run never leaves a partial folder that looks done.
 *
 * It runs Info-ZIP `unzip` rather than the product's own zip reader, because six of the 112
 * archives end with one byte after the end-of-central-directory record. `unzip` accepts them,
 * and the yauzl library, which `trustwatch scan` uses for .zip inputs, rejects them as damaged.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Lists the archives of the set, sorted by name, the first `subset` of them when given. */
export function listArchives(folder: string, subset: number | undefined): string[] {
  const archives = readdirSync(folder)
    .filter((name) => name.endsWith('.zip'))
    .sort()
    .map((name) => join(folder, name));
  if (archives.length === 0) throw new Error(`no .zip archives in ${folder}`);
  return subset === undefined ? archives : archives.slice(0, subset);
}

/** Unzips each archive into `cache/<archive name>/`; returns every file, sorted per archive. */
export function unzipArchives(archives: readonly string[], cache: string): string[] {
  mkdirSync(cache, { recursive: true });
  const files: string[] = [];
  for (const archive of archives) {
    const folder = join(cache, basename(archive, '.zip'));
    if (!existsSync(folder)) {
      const partial = `${folder}.partial`;
      rmSync(partial, { recursive: true, force: true });
      // macOS resource forks (`__MACOSX/._name`) that some archives carry are not event data.
      const args = ['-q', '-o', '-d', partial, archive, '-x', '__MACOSX/*'];
      const run = spawnSync('unzip', args, { encoding: 'utf8' });
      if (run.error) throw new Error(`cannot run unzip (apt-get install unzip): ${run.error}`);
      if (run.status !== 0) throw new Error(`unzip ${archive} failed: ${run.stderr.trim()}`);
      renameSync(partial, folder);
    }
    const names = readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort();
    for (const name of names) {
      const path = join(folder, name);
      if (statSync(path).isFile()) files.push(path);
    }
  }
  return files;
}
