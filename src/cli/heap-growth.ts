import { setFlagsFromString } from 'node:v8';

/**
 * Caps how far V8 lets the heap grow between full collections. A scan allocates gigabytes of
 * short-lived records while its live heap stays near 30 MB. V8 sets the next collection's limit
 * at up to 4 × the heap that survived the last one when the heap limit is large (V8's
 * heap-controller.cc). So one full collection that lands on a burst of records in flight lets
 * garbage pile up to 150 MB and more before the next one.
 *
 * With a growth of 100 %, the heap of a scan of 10 GB of generated events with the pack grew
 * from 64 to 83 MB in its first 12 s (Node 20, Xeon). Scans of 1 GB and 10 GB peaked at 181 to
 * 185 MiB and 227 to 234 MiB, and with 50 % at 190 to 196 MiB and 206 to 212 MiB. The 10 GB
 * scans took 35.1 and 35.3 s, and a scan of the OTRF events with the SigmaHQ rules 1.003 times
 * as long (5 alternate runs). V8 reads
 * `--heap-growing-percent` at each full collection, so setting it at start-up takes effect,
 * and worker threads share it. A value given on the `node` command line is kept (Node.js does
 * not accept this flag in `NODE_OPTIONS`).
 */

/** Growth allowed after a full collection, in percent of the heap that survived it. */
export const HEAP_GROWING_PERCENT = 50;

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
