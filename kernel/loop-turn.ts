/**
 * The two halves of an event-loop turn as the server uses them: the I/O phase, in which node reads every socket
 * that has data and runs the request handlers, and the check phase after it (`setImmediate`), in which the kernel
 * commits what those requests wrote (group commit) and — with `server.fastPaths` — writes the responses the I/O
 * phase produced, together (kernel/fast-path/turn-writes.ts).
 */

let reading = false;

/** A request arrived: the loop is in its I/O phase. */
export function requestArrived(): void {
  reading = true;
}

/** Whether the loop is still reading this turn's requests (a request arrived and the check phase has not begun). */
export function readingRequests(): boolean {
  return reading;
}

/**
 * Runs `work` in the check phase of this turn (`setImmediate`), as the end of the I/O phase: responses produced
 * from there on — by `work`, or by what its promises resume — are written at once rather than a turn later.
 * For batched work whose completion answers requests (group commit).
 */
export function afterReads(work: () => void): void {
  setImmediate(() => {
    reading = false;
    work();
  });
}
