/** Queries of the `clients` table. Timestamps are integer ms; JSON columns are text through the dialect helper. */
import { creationOrder, deleteInBatches, mapPage, runPage, type Client, type Page, type PageRequest, type RuntimeApi } from 'authplane';
import type { NormalizedFields } from './metadata.js';
import type { ClientStatus } from './schema.js';

/** The admin list's order: newest first, the client_id breaking ties. */
export const CLIENT_ORDER = creationOrder('clients', { id: 'client_id', direction: 'desc' });

/** A client as stored, with JSON columns parsed and timestamps as numbers. */
export interface StoredClient extends NormalizedFields {
  client_id: string;
  secret_digest: string | null;
  status: ClientStatus;
  registration_source: string;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  metadata: Record<string, unknown>;
  /** Fields an administrator changed; a self-registration refresh (a metadata document fetched again) keeps them. */
  admin_fields: string[];
}

interface ClientRow {
  client_id: string;
  client_name: string;
  redirect_uris: string;
  grant_types: string;
  response_types: string;
  token_endpoint_auth_method: string;
  secret_digest: string | null;
  status: string;
  registration_source: string;
  scope: string;
  application_type: string;
  agent: boolean | number;
  agent_description: string | null;
  // pg returns bigint columns as strings.
  created_at: number | string;
  updated_at: number | string;
  last_used_at: number | string | null;
  metadata: string;
  admin_fields: string;
}

const JSON_COLUMNS = ['redirect_uris', 'grant_types', 'response_types', 'metadata', 'admin_fields'] as const;

export class ClientStore {
  constructor(
    private readonly runtime: () => RuntimeApi,
    /** Told after every write that can change what a lookup answers (the lookup cache, cache.ts); no id = any client. */
    private readonly onWrite: (clientId?: string) => void = () => {},
  ) {}

  #table() {
    return this.runtime().db<ClientRow>('clients');
  }

  #fromRow(row: ClientRow): StoredClient {
    const { parseJson } = this.runtime().dialect;
    return {
      client_id: row.client_id,
      client_name: row.client_name,
      redirect_uris: parseJson(row.redirect_uris),
      grant_types: parseJson(row.grant_types),
      response_types: parseJson(row.response_types),
      token_endpoint_auth_method: row.token_endpoint_auth_method as StoredClient['token_endpoint_auth_method'],
      secret_digest: row.secret_digest,
      status: row.status as ClientStatus,
      registration_source: row.registration_source,
      scope: row.scope,
      application_type: row.application_type as StoredClient['application_type'],
      agent: Boolean(row.agent),
      agent_description: row.agent_description,
      created_at: Number(row.created_at),
      updated_at: Number(row.updated_at),
      last_used_at: row.last_used_at === null ? null : Number(row.last_used_at),
      metadata: parseJson(row.metadata) ?? {},
      admin_fields: parseJson(row.admin_fields) ?? [],
    };
  }

  #toRow(values: Partial<StoredClient>): Partial<ClientRow> {
    const { json } = this.runtime().dialect;
    const row: Record<string, unknown> = { ...values };
    for (const column of JSON_COLUMNS) if (column in values) row[column] = json(values[column]);
    return row as Partial<ClientRow>;
  }

  async insert(client: StoredClient): Promise<void> {
    await this.#table().insert(this.#toRow(client));
    this.onWrite(client.client_id);
  }

  async find(clientId: string): Promise<StoredClient | undefined> {
    const row = await this.#table().where({ client_id: clientId }).first();
    return row ? this.#fromRow(row as ClientRow) : undefined;
  }

  /** One page, newest first (migrations/clients/0003_clients_paging.ts indexes each filter). */
  async list(filter: { status?: string; source?: string }, page: PageRequest): Promise<Page<StoredClient>> {
    const query = this.#table().select('*');
    if (filter.status) query.where('status', filter.status);
    if (filter.source) query.where('registration_source', filter.source);
    return mapPage(await runPage<ClientRow>(query, CLIENT_ORDER, page), (row) => this.#fromRow(row));
  }

  /**
   * Writes changed fields, only while the client is in one of `inStatus` — a single statement, so a concurrent
   * revoke cannot be overwritten by an update that read the row before it — and, given `readAt` (the `updated_at`
   * it was read with), only while no other write came between. Returns whether a row changed.
   */
  async update(clientId: string, values: Partial<StoredClient>, inStatus: readonly ClientStatus[], readAt?: number): Promise<boolean> {
    try {
      const query = this.#table()
        .where({ client_id: clientId })
        .whereIn('status', inStatus as ClientStatus[]);
      if (readAt !== undefined) query.where('updated_at', readAt);
      const count = await query.update(this.#toRow(values));
      return count > 0;
    } finally {
      // Also after a failure: the statement may have committed before the error reached us.
      this.onWrite(clientId);
    }
  }

  async delete(clientId: string): Promise<boolean> {
    try {
      return (await this.#table().where({ client_id: clientId }).delete()) > 0;
    } finally {
      this.onWrite(clientId);
    }
  }

  /**
   * Clients of one source not used since the cutoff; a client never used counts from its creation. In bounded
   * batches (a purge of many self-registered clients leaves the server answering), one deletion per half of the
   * condition, each on the (registration_source, last_used_at) index.
   */
  async deleteUnused(source: string, unusedSince: number): Promise<number> {
    const db = this.runtime().db;
    try {
      const used = await deleteInBatches(db, {
        table: 'clients',
        key: 'client_id',
        where: (q) => q.where('registration_source', source).andWhere('last_used_at', '<', unusedSince),
      });
      const neverUsed = await deleteInBatches(db, {
        table: 'clients',
        key: 'client_id',
        where: (q) => q.where('registration_source', source).whereNull('last_used_at').andWhere('created_at', '<', unusedSince),
      });
      return used.deleted + neverUsed.deleted;
    } finally {
      this.onWrite();
    }
  }

  /** One statement for a batch of `last_used_at` updates. */
  async touch(clientIds: readonly string[], at: number): Promise<void> {
    if (clientIds.length === 0) return;
    await this.#table().whereIn('client_id', clientIds as string[]).update({ last_used_at: at });
  }
}

/** The shared contract record every token-endpoint component sees. */
export function toClientContract(client: StoredClient): Client {
  return {
    client_id: client.client_id,
    client_name: client.client_name,
    redirect_uris: client.redirect_uris,
    grant_types: client.grant_types,
    response_types: client.response_types,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    scope: client.scope,
    status: client.status,
    registration_source: client.registration_source,
    application_type: client.application_type,
    ...(client.secret_digest ? { secret_digest: client.secret_digest } : {}),
    metadata: { ...client.metadata, agent: client.agent, agent_description: client.agent_description },
  };
}
