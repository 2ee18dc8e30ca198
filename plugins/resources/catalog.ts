/**
 * The `resources` service: an in-memory copy of the table, so `/oauth/authorize`, the token endpoint, discovery and
 * Protected Resource Metadata never wait on the database for a known resource.
 *
 * Kept current without re-reading the table: this process's own write reloads that one row before it answers;
 * other changes arrive by an incremental refresh (rows whose `updated_at` moved, ids that disappeared), run on the
 * refresh interval, on another replica's announcement (runtime.replicas, topic `resources`) and on a lookup miss.
 * Lookups come from unauthenticated requests, so a miss is bounded: one it already answered recently is remembered
 * (negative-cache.ts), and every other miss waits for the next shared refresh — refreshes run one at a time and
 * start at least MISS_REFRESH_GAP_MS apart, however many misses ask for one. A resource another replica created is
 * therefore found by the first lookup for it, or, when that exact lookup missed within the last few seconds, as soon
 * as the announcement arrives (PostgreSQL) or the negative entry expires.
 */
import type { RuntimeApi } from 'authplane';
import type { BackendsRegistry } from './backends.js';
import type { DependentsRegistry } from './dependents.js';
import type { Resource, ResourceBackend, ResourceBackendKind, ResourceDependents, ResourceRegistry } from './types.js';
import { NegativeCache } from './negative-cache.js';
import { SLUG_PATTERN } from './schema.js';
import { CatalogSnapshot } from './snapshot.js';
import { MAX_URI_KEY_LENGTH, normalizeResourceUri, ResourceUriError } from './uri.js';
import { toResource, type ResourceStore, type StoredResource } from './store.js';

/** The replica topic of a change to the resources table (runtime.replicas). */
export const RESOURCES_TOPIC = 'resources';

/** The least time between the starts of two refreshes: what a burst of misses can cost the database at most. */
export const MISS_REFRESH_GAP_MS = 500;
/** How long a lookup that found nothing is answered from memory. */
export const NEGATIVE_TTL_MS = 5_000;
/** How many such lookups are remembered. */
export const NEGATIVE_MAX = 4_096;
/**
 * How far before the newest `updated_at` seen an incremental refresh looks again: covers a write that committed
 * after a later one was read and a replica whose clock is behind (replica clocks must agree within this).
 */
export const REFRESH_OVERLAP_MS = 60_000;

const SLUG = new RegExp(SLUG_PATTERN);
/** The width of `resources.id` (a UUID). */
const ID_LENGTH = 36;

/** What a Protected Resource Metadata path matched. */
export type PathMatch = { resource: StoredResource } | { ambiguous: true } | undefined;

/** What the catalog has done since boot, for tests and diagnostics. */
export interface CatalogStats {
  refreshes: number;
  fullReloads: number;
  negativeHits: number;
}

export class ResourceCatalog implements ResourceRegistry {
  #snapshot = new CatalogSnapshot();
  readonly #negative: NegativeCache;
  /** Serializes everything that reads the table into the snapshot, so an older read never lands after a newer. */
  #tail: Promise<unknown> = Promise.resolve();
  /** The refresh that has been asked for and has not started yet: later askers share it. */
  #queued: Promise<void> | undefined;
  #lastRefreshStart = Number.NEGATIVE_INFINITY;
  #closed = false;
  readonly stats: CatalogStats = { refreshes: 0, fullReloads: 0, negativeHits: 0 };

  constructor(
    private readonly store: ResourceStore,
    private readonly runtime: () => RuntimeApi,
    private readonly dependents: DependentsRegistry,
    private readonly backends: BackendsRegistry,
  ) {
    this.#negative = new NegativeCache(NEGATIVE_MAX, NEGATIVE_TTL_MS, () => this.runtime().now());
  }

  registerDependents(owner: string, dependents: ResourceDependents): void {
    this.dependents.register(owner, dependents);
  }

  registerBackend(owner: string, kind: ResourceBackendKind, backend: ResourceBackend): void {
    this.backends.register(owner, kind, backend);
  }

  /** Reads the whole table (at boot). */
  reload(): Promise<void> {
    return this.#exclusive(async () => {
      const rows = await this.store.all();
      const snapshot = new CatalogSnapshot();
      for (const row of rows) snapshot.put(row);
      this.#snapshot = snapshot;
      this.stats.fullReloads++;
      this.#applied(true);
    });
  }

  /**
   * An incremental refresh that starts after this call: the one already queued if there is one, otherwise a new
   * one, started once the previous has finished and MISS_REFRESH_GAP_MS after the previous started.
   */
  refresh(): Promise<void> {
    if (this.#queued) return this.#queued;
    const queued: Promise<void> = (async () => {
      const wait = this.#lastRefreshStart + MISS_REFRESH_GAP_MS - this.runtime().now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
      await this.#exclusive(async () => {
        if (this.#queued === queued) this.#queued = undefined;
        if (this.#closed) return;
        this.#lastRefreshStart = this.runtime().now();
        await this.#incremental();
      });
    })();
    this.#queued = queued;
    // A failed refresh must not keep later askers on its rejection.
    queued.catch(() => {
      if (this.#queued === queued) this.#queued = undefined;
    });
    return queued;
  }

  /**
   * After this process wrote the row `id` (then the other replicas are told, topic `resources`): the row is read
   * back at once, ahead of any refresh waiting for its gap, so the admin API's answer and the next lookup agree.
   */
  async changed(id: string): Promise<void> {
    await this.#exclusive(async () => {
      const [row] = await this.store.byIds([id]);
      this.#applied(row ? this.#snapshot.put(row) : this.#snapshot.remove(id));
    });
    this.runtime().replicas.notify(RESOURCES_TOPIC);
  }

  /** Resolves once no read of the table is queued or running (stop waits for it before the database closes). */
  async settled(): Promise<void> {
    this.#closed = true;
    await this.#queued?.catch(() => undefined);
    await this.#tail.catch(() => undefined);
  }

  async resolve(uriOrSlug: string): Promise<Resource | undefined> {
    const found = await this.find(uriOrSlug);
    return found && contractOf(found);
  }

  /** By comparison key when it looks like a URI, by slug otherwise (a slug has no colon). */
  async find(uriOrSlug: string): Promise<StoredResource | undefined> {
    if (!uriOrSlug.includes(':')) {
      // Only a valid slug can be stored: anything else is unknown without a refresh (and never fills the cache).
      if (!SLUG.test(uriOrSlug)) return undefined;
      return this.#lookup(`slug ${uriOrSlug}`, () => this.#snapshot.bySlug.get(uriOrSlug));
    }
    let key: string;
    try {
      key = normalizeResourceUri(uriOrSlug).key;
    } catch (err) {
      if (err instanceof ResourceUriError) return undefined;
      throw err;
    }
    // No stored key is longer (operations.ts refuses it), so such a URI needs no refresh to be unknown.
    if (key.length > MAX_URI_KEY_LENGTH) return undefined;
    return this.#lookup(`uri ${key}`, () => this.#snapshot.byKey.get(key));
  }

  async get(id: string): Promise<Resource | undefined> {
    const found = await this.findById(id);
    return found && contractOf(found);
  }

  async findById(id: string): Promise<StoredResource | undefined> {
    if (id.length > ID_LENGTH) return undefined;
    return this.#lookup(`id ${id}`, () => this.#snapshot.byId.get(id));
  }

  async list(): Promise<Resource[]> {
    return this.#snapshot.ordered().map(contractOf);
  }

  async allScopes(): Promise<string[]> {
    return [...this.#snapshot.scopes()];
  }

  /** For the synchronous discovery waterfall: the scope union as last loaded. */
  scopeUnion(): readonly string[] {
    return this.#snapshot.scopes();
  }

  /**
   * The resource a Protected Resource Metadata URL names. RFC 9728 §3.1 puts the metadata at
   * `/.well-known/oauth-protected-resource` + the resource's path on the resource's own host. Served here on the
   * authorization server, the path alone can match resources on several hosts: the one on the request's Host wins,
   * and with none of them there it is ambiguous. A suffix that is a slug finds that resource when no path matched.
   */
  async forMetadata(suffix: string, requestHost: string, slug: string | undefined): Promise<PathMatch> {
    const wanted = suffix.endsWith('/') ? suffix.slice(0, -1) : suffix;
    const host = requestHost.toLowerCase();
    if (wanted.length > MAX_URI_KEY_LENGTH) return undefined;
    return this.#lookup(`metadata ${wanted}`, () => {
      const candidates = this.#snapshot.byPath.get(wanted);
      const sameHost = candidates && (candidates.length === 1 ? candidates : candidates.filter((c) => c.host === host));
      if (sameHost?.length === 1) return { resource: sameHost[0]!.resource };
      const bySlug = slug === undefined ? undefined : this.#snapshot.bySlug.get(slug);
      if (bySlug) return { resource: bySlug };
      return candidates ? { ambiguous: true } : undefined;
    });
  }

  /**
   * A lookup in memory; on a miss not answered recently, again after the next shared refresh. A refresh that fails
   * (the database is down) leaves the answer to memory and is logged, so a lookup never fails for it.
   */
  async #lookup<T>(key: string, probe: () => T | undefined): Promise<T | undefined> {
    const hit = probe();
    if (hit !== undefined) return hit;
    if (this.#negative.has(key)) {
      this.stats.negativeHits++;
      return undefined;
    }
    try {
      await this.refresh();
    } catch (err) {
      this.runtime().log.warn({ err }, 'resources refresh failed');
      return probe();
    }
    const found = probe();
    if (found === undefined) this.#negative.add(key);
    return found;
  }

  /** Rows whose `updated_at` moved since the watermark, then — when the count disagrees — the ids that went. */
  async #incremental(): Promise<void> {
    const snapshot = this.#snapshot;
    this.stats.refreshes++;
    // Capped at this clock (the one `updated_at` is written with): a row from a replica whose clock runs ahead must
    // not move the watermark past rows the others write meanwhile.
    const stamps = await this.store.stamps(Math.min(snapshot.newestUpdate, Date.now()) - REFRESH_OVERLAP_MS);
    const stale = stamps.filter((s) => snapshot.byId.get(s.id)?.updated_at !== s.updated_at).map((s) => s.id);
    let changed = false;
    for (const row of stale.length ? await this.store.byIds(stale) : []) changed = snapshot.put(row) || changed;
    if ((await this.store.count()) !== snapshot.size) {
      const ids = await this.store.ids();
      const present = new Set(ids);
      for (const id of [...snapshot.byId.keys()]) if (!present.has(id)) changed = snapshot.remove(id) || changed;
      // Rows older than the watermark and never read (a replica whose clock was far behind).
      const missing = ids.filter((id) => !snapshot.byId.has(id));
      for (const row of missing.length ? await this.store.byIds(missing) : []) changed = snapshot.put(row) || changed;
    }
    this.#applied(changed);
  }

  /** After the snapshot changed: lookups that missed may now hit, and discovery may list other scopes. */
  #applied(changed: boolean): void {
    if (!changed) return;
    this.#negative.clear();
    if (this.#snapshot.takeScopesChanged()) this.runtime().discovery.invalidate();
  }

  #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(job, job);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

/**
 * The contract record of a stored row, built once per row: the token endpoint resolves a resource on every request,
 * and rows are replaced (never changed) by a refresh. Frozen like the row it comes from.
 */
const contracts = new WeakMap<StoredResource, Resource>();
function contractOf(stored: StoredResource): Resource {
  let contract = contracts.get(stored);
  if (!contract) {
    contract = Object.freeze(toResource(stored));
    contracts.set(stored, contract);
  }
  return contract;
}
