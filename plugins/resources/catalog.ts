/**
 * The `resources` service: an in-memory copy of the table, so `/oauth/authorize` and discovery never wait on the
 * database. The copy is refreshed after every change this process makes, re-read when older than the refresh
 * interval, and a miss checks the table before answering undefined — a replica on PostgreSQL sees a resource
 * another replica created at once, and an edit as soon as that replica's announcement arrives (runtime.replicas),
 * or within one interval if it is lost.
 */
import type { RuntimeApi } from 'authplane';
import type { BackendsRegistry } from './backends.js';
import type { DependentsRegistry } from './dependents.js';
import type { Resource, ResourceBackend, ResourceBackendKind, ResourceDependents, ResourceRegistry } from './types.js';
import { normalizeResourceUri, ResourceUriError } from './uri.js';
import { toResource, type ResourceStore, type StoredResource } from './store.js';

interface Snapshot {
  byId: Map<string, StoredResource>;
  bySlug: Map<string, StoredResource>;
  byKey: Map<string, StoredResource>;
  /** Normalized URI path → resources with it (several when they sit on different hosts). */
  byPath: Map<string, { resource: StoredResource; host: string }[]>;
  ordered: StoredResource[];
  scopes: string[];
  loadedAt: number;
}

const EMPTY: Snapshot = {
  byId: new Map(),
  bySlug: new Map(),
  byKey: new Map(),
  byPath: new Map(),
  ordered: [],
  scopes: [],
  loadedAt: 0,
};

/** The replica topic of a change to the resources table (runtime.replicas). */
export const RESOURCES_TOPIC = 'resources';

/** What a Protected Resource Metadata path matched. */
export type PathMatch = { resource: StoredResource } | { ambiguous: true } | undefined;

export class ResourceCatalog implements ResourceRegistry {
  #snapshot: Snapshot = EMPTY;
  #loading: Promise<Snapshot> | undefined;

  constructor(
    private readonly store: ResourceStore,
    private readonly runtime: () => RuntimeApi,
    private readonly refreshMs: number,
    private readonly dependents: DependentsRegistry,
    private readonly backends: BackendsRegistry,
  ) {}

  registerDependents(owner: string, dependents: ResourceDependents): void {
    this.dependents.register(owner, dependents);
  }

  registerBackend(owner: string, kind: ResourceBackendKind, backend: ResourceBackend): void {
    this.backends.register(owner, kind, backend);
  }

  /** Re-reads the table (concurrent callers share one query) and rebuilds discovery when the scope union changed. */
  reload(): Promise<Snapshot> {
    this.#loading ??= this.store
      .all()
      .then((rows) => {
        const previous = this.#snapshot.scopes;
        this.#snapshot = buildSnapshot(rows);
        if (previous.join(' ') !== this.#snapshot.scopes.join(' ')) this.runtime().discovery.invalidate();
        return this.#snapshot;
      })
      .finally(() => {
        this.#loading = undefined;
      });
    return this.#loading;
  }

  /**
   * After a change to the table, here (`announce`: then the other replicas are told, topic `resources`) or on
   * another replica: a reload that started before the change may have read the old rows, so a new one follows it.
   */
  async changed(announce = true): Promise<Snapshot> {
    await this.#loading?.catch(() => undefined);
    const snapshot = await this.reload();
    if (announce) this.runtime().replicas.notify(RESOURCES_TOPIC);
    return snapshot;
  }

  /** Resolves once no reload is in flight (stop waits for it before the database closes). */
  async settled(): Promise<void> {
    await this.#loading?.catch(() => undefined);
  }

  async #fresh(): Promise<Snapshot> {
    return Date.now() - this.#snapshot.loadedAt > this.refreshMs ? this.reload() : this.#snapshot;
  }

  async resolve(uriOrSlug: string): Promise<Resource | undefined> {
    const found = await this.find(uriOrSlug);
    return found && contractOf(found);
  }

  /** By comparison key when it looks like a URI, by slug otherwise (a slug has no colon). */
  async find(uriOrSlug: string): Promise<StoredResource | undefined> {
    let column: 'slug' | 'uri_key' = 'slug';
    let value = uriOrSlug;
    if (uriOrSlug.includes(':')) {
      try {
        value = normalizeResourceUri(uriOrSlug).key;
        column = 'uri_key';
      } catch (err) {
        if (err instanceof ResourceUriError) return undefined;
        throw err;
      }
    }
    const snapshot = await this.#fresh();
    const hit = (column === 'slug' ? snapshot.bySlug : snapshot.byKey).get(value);
    return hit ?? this.#miss(column, value);
  }

  async get(id: string): Promise<Resource | undefined> {
    const found = await this.findById(id);
    return found && contractOf(found);
  }

  async findById(id: string): Promise<StoredResource | undefined> {
    return (await this.#fresh()).byId.get(id) ?? this.#miss('id', id);
  }

  async list(): Promise<Resource[]> {
    return (await this.#fresh()).ordered.map(contractOf);
  }

  async allScopes(): Promise<string[]> {
    return [...(await this.#fresh()).scopes];
  }

  /** For the synchronous discovery waterfall: the scope union as last loaded. */
  scopeUnion(): readonly string[] {
    return this.#snapshot.scopes;
  }

  /**
   * RFC 9728 §3.1 puts the metadata at `/.well-known/oauth-protected-resource` + the resource's path on the
   * resource's own host. Served here on the authorization server, the path alone can match resources on several
   * hosts: the one on the request's Host wins, and with none of them there it is ambiguous (use the slug URL).
   */
  async byPath(path: string, requestHost: string): Promise<PathMatch> {
    const wanted = path.endsWith('/') ? path.slice(0, -1) : path;
    let candidates = (await this.#fresh()).byPath.get(wanted);
    // A path is no indexed column: a miss re-reads the (small) table, shared with concurrent misses.
    candidates ??= (await this.reload()).byPath.get(wanted);
    if (!candidates) return undefined;
    if (candidates.length === 1) return { resource: candidates[0]!.resource };
    const sameHost = candidates.filter((c) => c.host === requestHost.toLowerCase());
    return sameHost.length === 1 ? { resource: sameHost[0]!.resource } : { ambiguous: true };
  }

  /** A snapshot miss: one indexed query, and a full reload when the row exists (another replica created it). */
  async #miss(column: 'id' | 'slug' | 'uri_key', value: string): Promise<StoredResource | undefined> {
    const row = await this.store.findBy(column, value);
    if (row) await this.reload();
    return row;
  }
}

/**
 * The contract record of a stored row, built once per row: the token endpoint resolves a resource on every request,
 * and rows are replaced (never changed) on reload. Frozen like the row it comes from.
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

function buildSnapshot(rows: StoredResource[]): Snapshot {
  const scopes = new Set<string>();
  const byPath: Snapshot['byPath'] = new Map();
  for (const row of rows) {
    // Shared by every caller of the service: frozen, so one caller's mutation cannot leak into another's answer.
    deepFreeze(row);
    for (const scope of row.scopes) scopes.add(scope.name);
    const { path, host } = normalizeResourceUri(row.uri);
    byPath.set(path, [...(byPath.get(path) ?? []), { resource: row, host }]);
  }
  return {
    byId: new Map(rows.map((r) => [r.id, r])),
    bySlug: new Map(rows.map((r) => [r.slug, r])),
    byKey: new Map(rows.map((r) => [r.uri_key, r])),
    byPath,
    ordered: rows,
    scopes: [...scopes].sort(),
    loadedAt: Date.now(),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
