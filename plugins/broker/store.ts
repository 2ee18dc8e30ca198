/** Queries of the `broker_providers` table. Timestamps are integer ms; `config` is JSON text (no secret in it). */
import { creationOrder, mapPage, runPage, type Page, type PageRequest, type RuntimeApi } from 'authplane';
import type { BrokerProvider, ProviderProtocol } from './types.js';

/** A provider as stored: the record with numeric timestamps. */
export interface StoredProvider {
  id: string;
  slug: string;
  display_name: string;
  protocol: ProviderProtocol;
  config: Record<string, unknown>;
  created_at: number;
  updated_at: number;
}

interface ProviderRow {
  id: string;
  slug: string;
  display_name: string;
  protocol: string;
  config: string;
  // pg returns bigint columns as strings.
  created_at: number | string;
  updated_at: number | string;
}

/** The admin list's order: oldest first, the id breaking ties (migrations/broker/0002_broker_paging.ts). */
export const PROVIDER_ORDER = creationOrder('broker-providers');

export class ProviderStore {
  constructor(private readonly runtime: () => RuntimeApi) {}

  #table() {
    return this.runtime().db<ProviderRow>('broker_providers');
  }

  #fromRow(row: ProviderRow): StoredProvider {
    return {
      id: row.id,
      slug: row.slug,
      display_name: row.display_name,
      protocol: row.protocol as ProviderProtocol,
      config: this.runtime().dialect.parseJson(row.config),
      created_at: Number(row.created_at),
      updated_at: Number(row.updated_at),
    };
  }

  /** One page of the admin list, oldest first. */
  async page(page: PageRequest): Promise<Page<StoredProvider>> {
    return mapPage(await runPage<ProviderRow>(this.#table().select('*'), PROVIDER_ORDER, page), (row) => this.#fromRow(row));
  }

  /** Oldest first. */
  async all(): Promise<StoredProvider[]> {
    const rows = (await this.#table().select('*').orderBy([{ column: 'created_at' }, { column: 'id' }])) as ProviderRow[];
    return rows.map((row) => this.#fromRow(row));
  }

  async findBy(column: 'id' | 'slug', value: string): Promise<StoredProvider | undefined> {
    const row = await this.#table().where(column, value).first();
    return row ? this.#fromRow(row as ProviderRow) : undefined;
  }

  /** By id, then by slug: operators and resources name providers by slug. */
  async find(idOrSlug: string): Promise<StoredProvider | undefined> {
    return (await this.findBy('id', idOrSlug)) ?? (await this.findBy('slug', idOrSlug));
  }

  async insert(provider: StoredProvider): Promise<void> {
    await this.#table().insert({ ...provider, config: this.runtime().dialect.json(provider.config) });
  }

  async update(id: string, values: Pick<StoredProvider, 'display_name' | 'config' | 'updated_at'>): Promise<boolean> {
    const changed = await this.#table()
      .where({ id })
      .update({ ...values, config: this.runtime().dialect.json(values.config) });
    return changed > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.#table().where({ id }).delete()) > 0;
  }
}

/** The record the admin API shows and the `brokerProviders` service returns. */
export function toProvider(stored: StoredProvider): BrokerProvider {
  // The config was checked against its protocol's schema when it was written.
  const record = {
    id: stored.id,
    slug: stored.slug,
    display_name: stored.display_name,
    protocol: stored.protocol,
    config: stored.config,
    created_at: new Date(stored.created_at).toISOString(),
    updated_at: new Date(stored.updated_at).toISOString(),
  };
  return record as unknown as BrokerProvider;
}
