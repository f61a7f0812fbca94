/**
 * Paths of the benchmark's inputs and scratch files. Inputs come from the shared
 * folder, TRUSTWATCH_SHARED or else ../shared beside the repository. Unzipped and generated data
 * go to a cache folder under the system temporary folder, never the repository, and are reused
 * across runs.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Returns the shared folder, or throws an error that names the variable to set. */
export function sharedRoot(): string {
  const configured = process.env.TRUSTWATCH_SHARED;
  const root = resolve(REPO_ROOT, configured ?? '../shared');
  if (!existsSync(root)) {
    const origin = configured === undefined ? 'the default ../shared' : 'TRUSTWATCH_SHARED';
    throw new Error(
      `shared folder not found at ${root} (${origin}); set TRUSTWATCH_SHARED to the folder ` +
        'that contains bench/otrf-windows-host, corpus and peer/sigmahq-rules',
    );
  }
  return root;
}

/** Returns a path under the shared folder that must exist, or throws an error naming it. */
export function sharedInput(...parts: string[]): string {
  const path = join(sharedRoot(), ...parts);
  if (!existsSync(path)) throw new Error(`benchmark input not found: ${path}`);
  return path;
}

/** Returns the default cache folder, `trustwatch-bench` in the system temporary folder. */
export function defaultCacheRoot(): string {
  return join(tmpdir(), 'trustwatch-bench');
}
