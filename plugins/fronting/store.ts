/** Queries of the `fronting_links` table. Timestamps are integer ms; `scope_map` is JSON text. */
import { creationOrder, mapPage, runPage, type Page, type PageRequest, type RuntimeApi } from 'authplane';

export interface StoredLink {
  id: string;
  source_resource_id: string;
  target_resource_id: string;
  scope_map: Record<string, string[]>;
  created_at: number;
  created_by: string;
}

interface LinkRow {
  id: string;
  source_resource_id: string;
  target_resource_id: string;
  scope_map: string;
  // pg returns bigint columns as strings.
  created_at: number | string;
  created_by: string;
}

/** The admin list's order: oldest first, the id breaking ties. */
export const LINK_ORDER = creationOrder('fronting');

export class LinkStore {
  constructor(private readonly runtime: () => RuntimeApi) {}

  #table() {
    return this.runtime().db<LinkRow>('fronting_links');
  }

  #fromRow(row: LinkRow): StoredLink {
    return {
      id: row.id,
      source_resource_id: row.source_resource_id,
      target_resource_id: row.target_resource_id,
      scope_map: this.runtime().dialect.parseJson(row.scope_map),
      created_at: Number(row.created_at),
      created_by: row.created_by,
    };
  }

  /** Oldest first; `source`/`target` narrow by resource id. */
  async list(filter: { source?: string; target?: string } = {}): Promise<StoredLink[]> {
    const query = this.#table().select('*');
    if (filter.source) query.where('source_resource_id', filter.source);
    if (filter.target) query.where('target_resource_id', filter.target);
    const rows = (await query.orderBy([{ column: 'created_at' }, { column: 'id' }])) as LinkRow[];
    return rows.map((row) => this.#fromRow(row));
  }

  /** One page of the admin list, oldest first (migrations/fronting/0002_fronting_paging.ts). */
  async page(filter: { source?: string; target?: string }, page: PageRequest): Promise<Page<StoredLink>> {
    const query = this.#table().select('*');
    if (filter.source) query.where('source_resource_id', filter.source);
    if (filter.target) query.where('target_resource_id', filter.target);
    return mapPage(await runPage<LinkRow>(query, LINK_ORDER, page), (row) => this.#fromRow(row));
  }

  async get(id: string): Promise<StoredLink | undefined> {
    const row = await this.#table().where({ id }).first();
    return row ? this.#fromRow(row as LinkRow) : undefined;
  }

  async find(source: string, target: string): Promise<StoredLink | undefined> {
    const row = await this.#table().where({ source_resource_id: source, target_resource_id: target }).first();
    return row ? this.#fromRow(row as LinkRow) : undefined;
  }

  /** Links with the resource at either end. */
  async touching(resourceId: string): Promise<StoredLink[]> {
    const rows = (await this.#table()
      .where('source_resource_id', resourceId)
      .orWhere('target_resource_id', resourceId)
      .orderBy([{ column: 'created_at' }, { column: 'id' }])) as LinkRow[];
    return rows.map((row) => this.#fromRow(row));
  }

  async insert(link: StoredLink): Promise<void> {
    await this.#table().insert({ ...link, scope_map: this.runtime().dialect.json(link.scope_map) });
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#table().where({ id }).delete()) > 0;
  }
}
