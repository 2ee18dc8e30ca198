import type { BucketOptions } from './schema.js';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/** How often the map is swept of buckets that have refilled completely (an idle address). */
const SWEEP_INTERVAL_MS = 30_000;

/**
 * Token buckets keyed by client address (one map per class). A bucket that has refilled to capacity is the same
 * as no bucket, so idle addresses are dropped on the next sweep and memory follows the number of active
 * addresses, capped by `maxBuckets`.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  #sweptAt = 0;

  constructor(
    private readonly options: BucketOptions,
    private readonly maxBuckets: number,
  ) {}

  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token for `key`: 0 when allowed, otherwise the whole seconds until a token is available. */
  take(key: string, now = Date.now()): number {
    const { capacity, refillPerSecond } = this.options;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      this.#makeRoom(now);
      bucket = { tokens: capacity, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * refillPerSecond);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerSecond));
  }

  #makeRoom(now: number): void {
    if (now - this.#sweptAt >= SWEEP_INTERVAL_MS || this.#buckets.size >= this.maxBuckets) this.#sweep(now);
    if (this.#buckets.size < this.maxBuckets) return;
    // Still full of active addresses: drop the oldest tenth (Map order is insertion order). Such an address
    // starts over with a full bucket — the limit loosens under a flood of addresses rather than memory growing.
    let drop = Math.ceil(this.maxBuckets / 10);
    for (const key of this.#buckets.keys()) {
      if (drop-- <= 0) break;
      this.#buckets.delete(key);
    }
  }

  #sweep(now: number): void {
    this.#sweptAt = now;
    const { capacity, refillPerSecond } = this.options;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * refillPerSecond >= capacity) this.#buckets.delete(key);
    }
  }
}
