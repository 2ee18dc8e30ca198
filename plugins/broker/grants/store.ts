/**
 * The users' upstream grants, one row per (user, provider). The tokens are one sealed JSON document; the scopes,
 * the access token's expiry and whether a refresh token exists are kept in clear beside it for the admin list and
 * the vend's scope check — never a token. `version` goes up on every write: a refresh saves only over the version
 * it started from, so two replicas refreshing at once cannot both rotate the refresh token.
 */
import { creationOrder, mapPage, runPage, uuidv7, type Page, type PageRequest, type RuntimeApi } from 'authplane';
import type { SecretBox, UpstreamTokens } from '../types.js';
import { openGrantTokens, sealGrantTokens } from '../crypto/grant-seal.js';

/** A grant as the admin API and the connections list show it: no token, no ciphertext. */
export interface GrantInfo {
  id: string;
  user_id: string;
  provider_id: string;
  version: number;
  scopes: string[];
  /** When the upstream access token expires (ms), if the provider said. */
  access_expires_at: number | null;
  has_refresh_token: boolean;
  key_id: string;
  created_at: number;
  updated_at: number;
}

interface GrantRow {
  id: string;
  user_id: string;
  provider_id: string;
  version: number | string;
  key_id: string;
  ciphertext: string;
  scopes: string;
  // pg returns bigint columns as strings.
  access_expires_at: number | string | null;
  has_refresh_token: boolean | number;
  created_at: number | string;
  updated_at: number | string;
}

const INFO_COLUMNS = ['id', 'user_id', 'provider_id', 'version', 'key_id', 'scopes', 'access_expires_at', 'has_refresh_token', 'created_at', 'updated_at'];

/** The admin list's order: last written first, the id breaking ties (migrations/broker/0002_broker_paging.ts). */
export const GRANT_ORDER = creationOrder('broker-grants', { time: 'updated_at', direction: 'desc' });

function toInfo(row: Omit<GrantRow, 'ciphertext'>): GrantInfo {
  return {
    id: row.id,
    user_id: row.user_id,
    provider_id: row.provider_id,
    version: Number(row.version),
    scopes: JSON.parse(row.scopes) as string[],
    access_expires_at: row.access_expires_at === null ? null : Number(row.access_expires_at),
    has_refresh_token: row.has_refresh_token === true || row.has_refresh_token === 1,
    key_id: row.key_id,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

export class GrantStore {
  constructor(
    private readonly runtime: () => RuntimeApi,
    private readonly box: () => SecretBox,
  ) {}

  #table() {
    return this.runtime().db<GrantRow>('broker_grants');
  }

  async #seal(userId: string, providerId: string, tokens: UpstreamTokens) {
    const sealed = await sealGrantTokens(this.box(), { user_id: userId, provider_id: providerId }, tokens);
    return {
      key_id: sealed.keyId,
      ciphertext: sealed.ciphertext,
      scopes: JSON.stringify(tokens.scopes),
      access_expires_at: tokens.expires_at ?? null,
      has_refresh_token: tokens.refresh_token !== undefined,
    };
  }

  /**
   * A connect's result: inserts the user's grant with the provider, or replaces it with version + 1. Resolves with
   * the stored grant.
   */
  async save(userId: string, providerId: string, tokens: UpstreamTokens): Promise<GrantInfo> {
    const sealed = await this.#seal(userId, providerId, tokens);
    const now = this.runtime().now();
    const db = this.runtime().db;
    await db.transaction(async (trx) => {
      const updated = await trx('broker_grants')
        .where({ user_id: userId, provider_id: providerId })
        .update({ ...sealed, version: db.raw('version + 1'), updated_at: now });
      if (updated === 0) {
        await trx('broker_grants')
          .insert({ id: uuidv7(now), user_id: userId, provider_id: providerId, version: 1, ...sealed, created_at: now, updated_at: now })
          // A connect racing this one inserted first: its row stands, this write becomes its next version.
          .onConflict(['user_id', 'provider_id'])
          .merge({ ...sealed, version: db.raw('broker_grants.version + 1'), updated_at: now });
      }
    });
    return (await this.info(userId, providerId))!;
  }

  /**
   * A refresh's result: saved only over `fromVersion`, the version the refresh read. False when another write came
   * first (a concurrent refresh or a reconnect); the caller then reads the grant again instead of overwriting it.
   */
  async saveRefreshed(userId: string, providerId: string, fromVersion: number, tokens: UpstreamTokens): Promise<boolean> {
    const sealed = await this.#seal(userId, providerId, tokens);
    const updated = await this.#table()
      .where({ user_id: userId, provider_id: providerId, version: fromVersion })
      .update({ ...sealed, version: fromVersion + 1, updated_at: this.runtime().now() });
    return updated === 1;
  }

  async info(userId: string, providerId: string): Promise<GrantInfo | undefined> {
    const row = (await this.#table().where({ user_id: userId, provider_id: providerId }).first(...INFO_COLUMNS)) as unknown as GrantRow | undefined;
    return row ? toInfo(row) : undefined;
  }

  /** The grant and its tokens, decrypted. Throws (BrokerKeyError) when its key is not configured or it was altered. */
  async open(userId: string, providerId: string): Promise<{ grant: GrantInfo; tokens: UpstreamTokens } | undefined> {
    const row = (await this.#table().where({ user_id: userId, provider_id: providerId }).first()) as GrantRow | undefined;
    if (!row) return undefined;
    return { grant: toInfo(row), tokens: await openGrantTokens(this.box(), row) };
  }

  /** Newest first; narrowed by user and/or provider; at most `limit` when given. */
  async list(filter: { userId?: string; providerId?: string; limit?: number } = {}): Promise<GrantInfo[]> {
    const query = this.#table().select(...INFO_COLUMNS);
    if (filter.userId) query.where('user_id', filter.userId);
    if (filter.providerId) query.where('provider_id', filter.providerId);
    if (filter.limit !== undefined) query.limit(filter.limit);
    const rows = (await query.orderBy([{ column: 'updated_at', order: 'desc' }, { column: 'id', order: 'desc' }])) as unknown as GrantRow[];
    return rows.map(toInfo);
  }

  /** One page of the admin list, narrowed by user and/or provider. */
  async page(filter: { userId?: string; providerId?: string }, page: PageRequest): Promise<Page<GrantInfo>> {
    const query = this.#table().select(...INFO_COLUMNS);
    if (filter.userId) query.where('user_id', filter.userId);
    if (filter.providerId) query.where('provider_id', filter.providerId);
    return mapPage(await runPage<GrantRow>(query, GRANT_ORDER, page), toInfo);
  }

  /** True when there was a grant to delete. */
  async delete(userId: string, providerId: string): Promise<boolean> {
    return (await this.#table().where({ user_id: userId, provider_id: providerId }).delete()) > 0;
  }

  /**
   * Deletes the grant only while it is still at `version` (a refresh the upstream refused): false when another write
   * came first — a replica's successful refresh or a reconnect, whose grant stands.
   */
  async deleteAtVersion(userId: string, providerId: string, version: number): Promise<boolean> {
    return (await this.#table().where({ user_id: userId, provider_id: providerId, version }).delete()) > 0;
  }

  /** Every grant with a provider (the provider is being deleted): how many went. */
  async deleteForProvider(providerId: string): Promise<number> {
    return this.#table().where({ provider_id: providerId }).delete();
  }
}
