/**
 * Waiting for something another part of the server does in its own time (a log line written asynchronously, a
 * batch flushed on a timer, a refresh timer firing). Polls until `check` gives a value; the limit is generous
 * because a loaded 2-core machine can delay a timer by seconds, and only a hang should reach it. On giving up the
 * error says what was waited for, how long, and what `lastSeen` reports of the state it saw.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => unknown } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? WAIT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) {
      const seen = options.lastSeen ? `; last seen: ${describe(options.lastSeen())}` : '';
      throw new Error(`waited ${timeoutMs / 1000} s for ${what}, in vain${seen}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}

/** The default limit of `waitFor`. */
export const WAIT_MS = 30_000;

function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 2000 ? `…${text.slice(-2000)}` : text;
}
