import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Access to the shared corpus beside the repository (`../shared`, or TRUSTWATCH_SHARED). Suites
 * over it are skipped, with the reason, when it is absent; when TRUSTWATCH_SHARED is set (as in
 * CI) a missing path is a failure instead.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const configured = process.env.TRUSTWATCH_SHARED;
export const SHARED_ROOT = resolve(REPO_ROOT, configured ?? '../shared');

/** Returns the shared path, or skips the test (or fails it when TRUSTWATCH_SHARED is set). */
export function sharedPath(t: TestContext, ...parts: string[]): string | undefined {
  const path = join(SHARED_ROOT, ...parts);
  if (existsSync(path)) return path;
  if (configured !== undefined) {
    throw new Error(`TRUSTWATCH_SHARED is set to ${configured} but ${path} does not exist`);
  }
  t.skip(`shared corpus not present: ${path}`);
  return undefined;
}

/** True when the shared corpus is present (for building test lists up front). */
export function hasShared(...parts: string[]): boolean {
  const present = existsSync(join(SHARED_ROOT, ...parts));
  if (!present && configured !== undefined) {
    throw new Error(
      `TRUSTWATCH_SHARED is set to ${configured} but ${join(SHARED_ROOT, ...parts)} does not exist`,
    );
  }
  return present;
}

export function fixturePath(...parts: string[]): string {
  return join(REPO_ROOT, 'test', 'fixtures', ...parts);
}
