import { afterReads, readingRequests } from '../loop-turn.js';

/**
 * Responses finished while the loop is still reading requests are written together at the end of the I/O phase
 * (the check phase, kernel/loop-turn.ts), not one by one between reads: each write between two reads is a system
 * call that wakes the client on its own, and its next request is then read on a turn of its own. Written together,
 * the turn's responses wake the other side once and the next turn reads the next requests as a batch.
 * Invariant: a response waits at most for the rest of the I/O phase it was finished in (nothing on an idle server),
 * and a write that throws reaches its own failure handler, never the check phase. Figures: docs/performance.md.
 */

/** Pairs: a write, then what to do when it throws (one flat array: no object per response). */
let writes: ((arg?: unknown) => void)[] = [];
let flushScheduled = false;

/**
 * Writes a response now, or — while the loop is still reading requests — together with the turn's others. A write
 * that throws is handed to `failed` (which answers or closes that one response), in either case: thrown from the
 * check phase it would be an uncaught exception, and no one response may take the server down.
 */
export function writeAfterReads(write: () => void, failed: (error: unknown) => void): void {
  if (!readingRequests()) {
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
