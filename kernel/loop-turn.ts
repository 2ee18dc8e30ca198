/**
 * The two halves of an event-loop turn as the server uses them: the I/O phase, in which node reads every socket
 * that has data and runs the request handlers, and the check phase after it (`setImmediate`), in which the kernel
 * commits what those requests wrote (group commit) and writes the responses the I/O phase produced, together.
 *
 * Why responses wait for the end of the I/O phase: a response written from inside the I/O phase goes out between
 * two request reads, and on a loaded server each such write is a system call that wakes the client's side on its
 * own; the client answers with its next request, which the loop picks up one at a time on the following turns.
 * Written together after the reads, the turn's responses cost one wake-up of the other side, and the next turn
 * reads the next requests as a batch. Measured (bench/compare.ts, same run): introspection — answered synchronously
 * inside the I/O phase — +80 % req/s at 55 % of the CPU per request, p99 9 → 5 ms; the static well-known documents
 * +6 %; client_credentials unchanged (its responses already follow the commit in the check phase). A response
 * waits at most for the rest of the I/O phase it was produced in; on an idle server that is nothing.
 */

let reading = false;
/** Pairs: a write, then what to do when it throws (one flat array: no object per response). */
let writes: ((arg?: unknown) => void)[] = [];
let flushScheduled = false;

/** A request arrived: the loop is in its I/O phase, and responses produced now wait for its end. */
export function requestArrived(): void {
  reading = true;
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

/**
 * Writes a response now, or — while the loop is still reading requests — together with the turn's others. A write
 * that throws is handed to `failed` (which answers or closes that one response), in either case: thrown from the
 * check phase it would be an uncaught exception, and no one response may take the server down.
 */
export function writeAfterReads(write: () => void, failed: (error: unknown) => void): void {
  if (!reading) {
    attempt(write, failed);
    return;
  }
  writes.push(write, failed);
  if (!flushScheduled) {
    flushScheduled = true;
    afterReads(flushWrites);
  }
}

function flushWrites(): void {
  flushScheduled = false;
  const batch = writes;
  writes = [];
  // One failing write (its handler threw) must not keep the others' responses back.
  for (let i = 0; i < batch.length; i += 2) attempt(batch[i]!, batch[i + 1]!);
}

function attempt(write: () => void, failed: (error: unknown) => void): void {
  try {
    write();
  } catch (error) {
    try {
      failed(error);
    } catch (alsoFailed) {
      // The failure handler itself broke: nothing is left that could answer; say so without stopping the process.
      process.emitWarning(`a response could not be written: ${String(alsoFailed)}`, { code: 'AUTHPLANE_RESPONSE_LOST' });
    }
  }
}
