import { setFlagsFromString } from 'node:v8';

/**
 * Caps how far V8 lets the heap grow between full collections. A scan allocates gigabytes of
 * short-lived records while its live heap stays near 30 MB. V8 sets the next collection's limit
 * at up to 4 × the heap that survived the last one when the heap limit is large (V8's
 * heap-controller.cc). So one full collection that lands on a burst of records in flight lets
 * garbage pile up to 150 MB and more before the next one.
 *
 * The peak then depends on when that happens, not on the input: 214 to 243 MiB for 1 GB of
 * events and 279 to 324 MiB for 10 GB. With a factor of 2, both peaked near 205 MiB at about
 * the same CPU time. V8 reads `--heap-growing-percent` at each full collection, so setting it
 * at start-up takes effect, and worker threads share it. A value given on the `node` command
 * line is kept (Node.js does not accept this flag in `NODE_OPTIONS`).
 */

/** Growth allowed after a full collection, in percent of the heap that survived it. */
export const HEAP_GROWING_PERCENT = 100;

const FLAG = 'heap-growing-percent';

/** Returns the V8 flag to set, or undefined when the user set the growth already. */
export function heapGrowthFlag(execArgv: readonly string[]): string | undefined {
  const userSet = execArgv.some((option) => option.replaceAll('_', '-').startsWith(`--${FLAG}`));
  return userSet ? undefined : `--${FLAG}=${HEAP_GROWING_PERCENT}`;
}

/** Applies the cap to this process unless the user set one. Call it before the work starts. */
export function limitHeapGrowth(): void {
  const flag = heapGrowthFlag(process.execArgv);
  if (flag) setFlagsFromString(flag);
}
