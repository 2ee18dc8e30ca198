/**
 * The catalog's in-memory indexes of the `resources` table, changed row by row: an incremental refresh or this
 * process's own write replaces or removes the rows it read, so the cost of a change follows the rows changed, not
 * the table. Rows are frozen and replaced whole, never mutated, so a caller holding one keeps a consistent record.
 */
import type { StoredResource } from './store.js';
import { normalizeResourceUri } from './uri.js';

/** Normalized URI path → the resources with it (several when they sit on different hosts). */
type PathEntry = { resource: StoredResource; host: string };

export class CatalogSnapshot {
  readonly byId = new Map<string, StoredResource>();
  readonly bySlug = new Map<string, StoredResource>();
  readonly byKey = new Map<string, StoredResource>();
  readonly byPath = new Map<string, PathEntry[]>();
  /** Scope name → how many resources list it: the union changes only when a count reaches or leaves zero. */
  readonly #scopeCounts = new Map<string, number>();
  #scopes: readonly string[] | undefined = [];
  #ordered: StoredResource[] | undefined = [];
  /** Set by `put` and `remove` when a scope entered or left the union; read and reset by `takeScopesChanged`. */
  #scopesChanged = false;
  /** The newest `updated_at` among the rows read, the watermark of the next incremental refresh. */
  newestUpdate = 0;

  get size(): number {
    return this.byId.size;
  }

  /**
   * Adds a row, or replaces the stored one of its id unless that one is newer (a refresh that read the row before
   * this process changed it must not undo the change). Returns whether anything changed.
   */
  put(row: StoredResource): boolean {
    const current = this.byId.get(row.id);
    if (current && current.updated_at >= row.updated_at) return false;
    if (current) this.#unindex(current);
    deepFreeze(row);
    this.byId.set(row.id, row);
    this.bySlug.set(row.slug, row);
    this.byKey.set(row.uri_key, row);
    const { path, host } = normalizeResourceUri(row.uri);
    this.byPath.set(path, [...(this.byPath.get(path) ?? []), { resource: row, host }]);
    for (const scope of row.scopes) {
      const count = this.#scopeCounts.get(scope.name) ?? 0;
      if (count === 0) this.#scopeUnionChanged();
      this.#scopeCounts.set(scope.name, count + 1);
    }
    if (row.updated_at > this.newestUpdate) this.newestUpdate = row.updated_at;
    this.#ordered = undefined;
    return true;
  }

  remove(id: string): boolean {
    const current = this.byId.get(id);
    if (!current) return false;
    this.#unindex(current);
    this.#ordered = undefined;
    return true;
  }

  /** Rows by `created_at`, then id, as the table lists them. */
  ordered(): readonly StoredResource[] {
    this.#ordered ??= [...this.byId.values()].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.#ordered;
  }

  /** The sorted union of every resource's scope names. */
  scopes(): readonly string[] {
    this.#scopes ??= [...this.#scopeCounts.keys()].sort();
    return this.#scopes;
  }

  /** Whether the scope union changed since the last call. */
  takeScopesChanged(): boolean {
    const changed = this.#scopesChanged;
    this.#scopesChanged = false;
    return changed;
  }

  #scopeUnionChanged(): void {
    this.#scopesChanged = true;
    this.#scopes = undefined;
  }

  #unindex(row: StoredResource): void {
    this.byId.delete(row.id);
    // Another row may hold the slug or key by now (this one was renamed, or deleted and its slug reused).
    if (this.bySlug.get(row.slug) === row) this.bySlug.delete(row.slug);
    if (this.byKey.get(row.uri_key) === row) this.byKey.delete(row.uri_key);
    const { path } = normalizeResourceUri(row.uri);
    const rest = (this.byPath.get(path) ?? []).filter((entry) => entry.resource !== row);
    if (rest.length) this.byPath.set(path, rest);
    else this.byPath.delete(path);
    for (const scope of row.scopes) {
      const count = (this.#scopeCounts.get(scope.name) ?? 1) - 1;
      if (count > 0) this.#scopeCounts.set(scope.name, count);
      else {
        this.#scopeCounts.delete(scope.name);
        this.#scopeUnionChanged();
      }
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
