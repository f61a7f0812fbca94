/**
 * Helpers of a scan that a signal can stop part way (the command line's SIGINT and SIGTERM).
 */

/** The result of a wait that the stop cut short. */
export const STOPPED: unique symbol = Symbol('stopped');

/**
 * Waits for `promise` unless `signal` aborts first. A read of standard input or of a named pipe
 * can wait for data forever, so a stop does not wait for it. A later failure of the read is
 * ignored.
 */
export function unlessStopped<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T | typeof STOPPED> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(STOPPED);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
