/** Queries of the `resources` table. Timestamps are integer ms; scopes and policy are JSON text. */
import { creationOrder, mapPage, runPage, type Page, type PageRequest, type RuntimeApi } from 'authplane';
import type { Resource, ResourcePolicy, ResourceScope } from './types.js';
import type { BackendKind } from './schema.js';

/** The admin list's order: oldest first, the id breaking ties (migrations/resources/0002_resources_paging.ts). */
export const RESOURCE_ORDER = creationOrder('resources');

/** A resource as stored: the contract record with numeric timestamps and its comparison key. */
export interface StoredResource {
  id: string;
  slug: string;
  display_name: string;
  uri: string;
  uri_key: string;
  backend_kind: BackendKind;
  broker_provider_id: string | null;
  scopes: ResourceScope[];
  policy: Required<ResourcePolicy>;
  created_at: number;
  updated_at: number;
}

interface ResourceRow {
  id: string;
  slug: string;
  display_name: string;
  uri: string;
  uri_key: string;
  backend_kind: string;
  broker_provider_id: string | null;
  scopes: string;
  policy: string;
  // pg returns bigint columns as strings.
  created_at: number | string;
  updated_at: number | string;
}

/** Ids per `whereIn`: well below SQLite's and PostgreSQL's bound-parameter limits. */
const ID_BATCH = 500;

export class ResourceStore {
  constructor(private readonly runtime: () => RuntimeApi) {}

  #table() {
    return this.runtime().db<ResourceRow>('resources');
  }

  #fromRow(row: ResourceRow): StoredResource {
    const { parseJson } = this.runtime().dialect;
    return {
      id: row.id,
      slug: row.slug,
      display_name: row.display_name,
      uri: row.uri,
      uri_key: row.uri_key,
      backend_kind: row.backend_kind as BackendKind,
      broker_provider_id: row.broker_provider_id,
      scopes: parseJson(row.scopes),
      policy: parseJson(row.policy),
      created_at: Number(row.created_at),
      updated_at: Number(row.updated_at),
    };
  }

  #toRow(values: Partial<StoredResource>): Partial<ResourceRow> {
    const { json } = this.runtime().dialect;
    const row: Record<string, unknown> = { ...values };
    if (values.scopes) row.scopes = json(values.scopes);
    if (values.policy) row.policy = json(values.policy);
    return row as Partial<ResourceRow>;
  }

  async all(): Promise<StoredResource[]> {
    const rows = (await this.#table().select('*').orderBy([{ column: 'created_at' }, { column: 'id' }])) as ResourceRow[];
    return rows.map((row) => this.#fromRow(row));
  }

  /** Id and `updated_at` of the rows changed at or after `since` (ms): what an incremental refresh compares. */
  async stamps(since: number): Promise<{ id: string; updated_at: number }[]> {
    const rows = (await this.#table().select('id', 'updated_at').where('updated_at', '>=', since)) as Pick<ResourceRow, 'id' | 'updated_at'>[];
    return rows.map((row) => ({ id: row.id, updated_at: Number(row.updated_at) }));
  }

  /** The rows with these ids (those still there), a bounded number of ids per query. */
  async byIds(ids: readonly string[]): Promise<StoredResource[]> {
    const found: StoredResource[] = [];
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      const rows = (await this.#table().whereIn('id', ids.slice(i, i + ID_BATCH))) as ResourceRow[];
      found.push(...rows.map((row) => this.#fromRow(row)));
    }
    return found;
  }

  async count(): Promise<number> {
    const row = (await this.#table().count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  /** Every id, for finding the rows deleted since the last refresh. */
  async ids(): Promise<string[]> {
    return ((await this.#table().pluck('id')) as string[]);
  }

  /** One page of the admin list, read from the table (not the catalog's snapshot, which may be partial). */
  async page(page: PageRequest): Promise<Page<StoredResource>> {
    return mapPage(await runPage<ResourceRow>(this.#table().select('*'), RESOURCE_ORDER, page), (row) => this.#fromRow(row));
  }

  /** One indexed lookup by id, slug or comparison key: what a snapshot miss costs. */
  async findBy(column: 'id' | 'slug' | 'uri_key', value: string): Promise<StoredResource | undefined> {
    const row = await this.#table().where(column, value).first();
    return row ? this.#fromRow(row as ResourceRow) : undefined;
  }

  /** Rows other than `exceptId` that already hold this slug or URI key (for a 409 naming the field). */
  async conflicts(slug: string | undefined, uriKey: string | undefined, exceptId?: string): Promise<StoredResource[]> {
    if (slug === undefined && uriKey === undefined) return [];
    const query = this.#table().where((q) => {
      if (slug !== undefined) q.orWhere('slug', slug);
      if (uriKey !== undefined) q.orWhere('uri_key', uriKey);
    });
    if (exceptId) query.whereNot('id', exceptId);
    return ((await query) as ResourceRow[]).map((row) => this.#fromRow(row));
  }

  async insert(resource: StoredResource): Promise<void> {
    await this.#table().insert(this.#toRow(resource));
  }

  async update(id: string, values: Partial<StoredResource>): Promise<boolean> {
    return (await this.#table().where({ id }).update(this.#toRow(values))) > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#table().where({ id }).delete()) > 0;
  }
}

/** The shared contract record (`api.use('resources')`) and the admin API's representation. */
export function toResource(stored: StoredResource): Resource {
  return {
    id: stored.id,
    slug: stored.slug,
    display_name: stored.display_name,
    uri: stored.uri,
    backend_kind: stored.backend_kind,
    broker_provider_id: stored.broker_provider_id,
    scopes: stored.scopes,
    policy: stored.policy,
    created_at: new Date(stored.created_at).toISOString(),
    updated_at: new Date(stored.updated_at).toISOString(),
  };
}
