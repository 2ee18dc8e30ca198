/**
 * An in-memory set of DPoP proof `jti`s seen within their validity window (RFC 9449 §11.1). One process only:
 * replicas behind a load balancer each keep their own, so a proof replayed to another replica within its short
 * lifetime is not caught — pass a shared implementation of `ReplayStore` if that matters.
 */

export interface ReplayStore {
  /** Records `key` until `expiresAtMs`; false when it was already recorded and has not expired (a replay). */
  remember(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/** Sweeping expired entries at most this often keeps inserts O(1) amortized. */
const SWEEP_INTERVAL_MS = 10_000;

export class MemoryReplayCache implements ReplayStore {
  readonly #seen = new Map<string, number>();
  #lastSweep = 0;

  constructor(private readonly options: { maxEntries?: number; now?: () => number } = {}) {}

  get size(): number {
    return this.#seen.size;
  }

  remember(key: string, expiresAtMs: number): boolean {
    const now = (this.options.now ?? Date.now)();
    const until = this.#seen.get(key);
    if (until !== undefined && until > now) return false;
    this.#seen.delete(key);
    this.#seen.set(key, expiresAtMs);
    const max = this.options.maxEntries ?? 100_000;
    if (now - this.#lastSweep > SWEEP_INTERVAL_MS || this.#seen.size > max) this.#sweep(now, max);
    return true;
  }

  #sweep(now: number, max: number): void {
    this.#lastSweep = now;
    for (const [key, until] of this.#seen) if (until <= now) this.#seen.delete(key);
    // Still full of live entries (a flood): drop the oldest rather than grow without bound. Those proofs expire
    // within the window anyway, so this trades a small replay window under attack for bounded memory.
    for (const key of this.#seen.keys()) {
      if (this.#seen.size <= max) break;
      this.#seen.delete(key);
    }
  }
}
