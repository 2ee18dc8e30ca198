/**
 * Client lookups cached in memory, so the token endpoint (a client_credentials token above all) authenticates a
 * client without a database read. Correctness when an administrator changes a client:
 * - every write this process makes goes through ClientStore, which drops the entry before it returns (a bulk
 *   delete drops them all), and a read that raced with the write is not cached (generation check);
 * - a write elsewhere (another replica, the CLI writing to the database directly) is seen once the entry is older
 *   than `ttlMs` (option `cacheTtl`, 5 s by default — the bound the resources catalog also has), by the server's
 *   clock (`now`, RuntimeApi.now); 0 turns the cache off. Unknown ids are never cached, so a client created elsewhere works at once.
 * Requests that miss at the same moment (an entry expiring under load) share one read rather than each sending its
 * own; a read in flight when the cache is invalidated is not shared with requests that come after.
 */
import type { Client } from 'authplane';

/** Bounds memory when self-registration (DCR, CIMD) creates many clients; the oldest entries go first. */
const MAX_ENTRIES = 10_000;

export class ClientCache {
  readonly #entries = new Map<string, { client: Client; at: number }>();
  readonly #loading = new Map<string, { generation: number; client: Promise<Client | undefined> }>();
  #generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(clientId: string, load: (clientId: string) => Promise<Client | undefined>): Promise<Client | undefined> {
    if (this.ttlMs <= 0) return load(clientId);
    const entry = this.#entries.get(clientId);
    if (entry && this.now() - entry.at < this.ttlMs) return entry.client;
    // Every read in flight is from the current generation: invalidate() forgets the others.
    const inflight = this.#loading.get(clientId);
    if (inflight) return inflight.client;
    const generation = this.#generation;
    const client = this.#load(clientId, generation, load);
    this.#loading.set(clientId, { generation, client });
    return client;
  }

  async #load(clientId: string, generation: number, load: (clientId: string) => Promise<Client | undefined>): Promise<Client | undefined> {
    try {
      // Shared by every request that joins this read and, once cached, by every request after: frozen, so one
      // caller's change cannot leak into another's answer.
      const client = await load(clientId);
      if (client) deepFreeze(client);
      if (client && generation === this.#generation) {
        this.#entries.delete(clientId);
        if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
        this.#entries.set(clientId, { client, at: this.now() });
      }
      return client;
    } finally {
      if (this.#loading.get(clientId)?.generation === generation) this.#loading.delete(clientId);
    }
  }

  /** After a write to one client (or, without an id, to any number of them). */
  invalidate(clientId?: string): void {
    this.#generation++;
    this.#loading.clear();
    if (clientId === undefined) this.#entries.clear();
    else this.#entries.delete(clientId);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
