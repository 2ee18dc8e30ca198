/**
 * Lookups that found nothing, remembered briefly so a stream of unknown PRM paths, slugs or URIs (they need no
 * credentials) costs a map read instead of a refresh each. Bounded both ways: entries expire after `ttlMs` on the
 * runtime's clock, and past `max` entries the oldest goes. Any change to the catalog clears it.
 */
export class NegativeCache {
  readonly #expiries = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  has(key: string): boolean {
    const expiry = this.#expiries.get(key);
    if (expiry === undefined) return false;
    if (expiry > this.now()) return true;
    this.#expiries.delete(key);
    return false;
  }

  add(key: string): void {
    // Re-inserted so the Map's order stays the order of expiry: the first key is always the oldest.
    this.#expiries.delete(key);
    this.#expiries.set(key, this.now() + this.ttlMs);
    if (this.#expiries.size > this.max) this.#expiries.delete(this.#expiries.keys().next().value!);
  }

  clear(): void {
    this.#expiries.clear();
  }

  get size(): number {
    return this.#expiries.size;
  }
}
