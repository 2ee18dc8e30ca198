/**
 * Every operation on the users' broker grants outside the connect and the vend: a user's own list and revoke
 * (`/connections`), the admin API and CLI (`/admin/broker-grants`, `authserver admin broker-grant …`), and the
 * cascade of a provider's deletion. What any of them returns or audits is built from the clear columns only: never
 * the ciphertext, never a token (the tokens are not even decrypted here).
 */
import { badRequest, notFound, PAGE_PARAMETERS, pageRequest, type FormParams, type Page, type PageRequest, type RuntimeApi } from 'authplane';
import type { BrokerProvider, ProviderDirectory } from '../types.js';
import { GRANT_ORDER, type GrantInfo, type GrantStore } from './store.js';

/** Who acted, for the audit trail: the user themself, `admin-api` or `cli`. */
export interface GrantActor {
  actor_id: string;
  ip?: string | null;
  request_id?: string | null;
}

/** Why a grant went: its user disconnected, an admin revoked it, or its provider was deleted. */
export type RevokeReason = 'user' | 'admin' | 'provider_deleted';

/** A grant as the admin API and the CLI show it. */
export interface AdminGrant {
  id: string;
  user_id: string;
  /** The provider's slug (null if the provider is gone, which a delete's cascade prevents). */
  provider: string | null;
  provider_id: string;
  version: number;
  scopes: string[];
  access_token_expires_at: string | null;
  has_refresh_token: boolean;
  /** Which encryption key the row is under (a key id, never key material). */
  key_id: string;
  created_at: string;
  updated_at: string;
}

/** A grant as its user sees it on `GET /connections`. */
export interface Connection {
  provider: string;
  display_name: string;
  scopes: string[];
  version: number;
  access_token_expires_at: string | null;
  /** The upstream access token has not expired (or the provider gave it no expiry). */
  access_token_valid: boolean;
  /** The broker can refresh the access token without the user connecting again. */
  has_refresh_token: boolean;
  created_at: string;
  updated_at: string;
}

export interface GrantListQuery {
  userId?: string;
  /** Slug or id. */
  provider?: string;
  page: PageRequest;
}

const LIST_PARAMETERS = new Set(['user_id', 'provider', ...PAGE_PARAMETERS]);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `GET /admin/broker-grants` parameters (and the CLI's flags): unknown ones and a bad limit are a 400 naming them. */
export function parseListQuery(params: FormParams): GrantListQuery {
  const field = (name: string, message: string) => badRequest(`${name}: ${message}`, { errors: [{ field: name, message }] });
  for (const name of Object.keys(params)) if (!LIST_PARAMETERS.has(name)) throw field(name, 'is not a parameter of this list (user_id, provider, limit, cursor)');
  for (const name of ['user_id', 'provider'] as const) {
    if (params[name] !== undefined && params[name]!.length > 256) throw field(name, 'is longer than 256 characters');
  }
  const filters = { ...(params.user_id ? { userId: params.user_id } : {}), ...(params.provider ? { provider: params.provider } : {}) };
  return { ...filters, page: pageRequest(params, GRANT_ORDER, filters) };
}

export class GrantOperations {
  constructor(
    private readonly store: GrantStore,
    private readonly providers: ProviderDirectory,
    private readonly runtime: () => RuntimeApi,
  ) {}

  /** Newest first (last written first). An unknown provider is a 404; an unknown user simply has no grants. */
  async list(query: GrantListQuery): Promise<Page<AdminGrant>> {
    const provider = query.provider === undefined ? undefined : await this.#provider(query.provider);
    const grants = await this.store.page({ ...(query.userId ? { userId: query.userId } : {}), ...(provider ? { providerId: provider.id } : {}) }, query.page);
    const slugs = new Map((await this.providers.list()).map((p) => [p.id, p.slug]));
    return { rows: grants.rows.map((g) => toAdminGrant(g, slugs.get(g.provider_id) ?? null)), next: grants.next };
  }

  /** The user's connected accounts, newest first. */
  async connections(userId: string): Promise<Connection[]> {
    const grants = await this.store.list({ userId });
    const providers = new Map((await this.providers.list()).map((p) => [p.id, p]));
    const now = this.runtime().now();
    return grants.flatMap((g) => {
      const provider = providers.get(g.provider_id);
      if (!provider) return [];
      return [
        {
          provider: provider.slug,
          display_name: provider.display_name,
          scopes: g.scopes,
          version: g.version,
          access_token_expires_at: iso(g.access_expires_at),
          access_token_valid: g.access_expires_at === null || g.access_expires_at > now,
          has_refresh_token: g.has_refresh_token,
          created_at: iso(g.created_at)!,
          updated_at: iso(g.updated_at)!,
        },
      ];
    });
  }

  /**
   * Deletes the user's grant with the provider (slug or id) and audits `broker_grant_revoked`. 404 when the
   * provider is unknown or the user has no grant with it. The upstream tokens are not revoked at the provider.
   */
  async revoke(userId: string, providerRef: string, actor: GrantActor, reason: RevokeReason): Promise<void> {
    const provider = await this.#provider(providerRef);
    const grant = await this.store.info(userId, provider.id);
    if (!grant || !(await this.store.delete(userId, provider.id))) {
      throw notFound(`user '${userId}' has no grant with broker provider '${provider.slug}'`);
    }
    this.#audit(grant, provider, actor, reason);
  }

  async countForProvider(providerId: string): Promise<number> {
    return (await this.store.list({ providerId })).length;
  }

  /** Deletes every grant with the provider (it is being deleted), each audited; how many went. */
  async revokeForProvider(provider: Pick<BrokerProvider, 'id' | 'slug'>, actor: GrantActor): Promise<number> {
    let deleted = 0;
    for (const grant of await this.store.list({ providerId: provider.id })) {
      if (await this.store.delete(grant.user_id, provider.id)) {
        deleted++;
        this.#audit(grant, provider, actor, 'provider_deleted');
      }
    }
    // A grant written while this ran (a connect finishing) goes too; its connect audited it.
    return deleted + (await this.store.deleteForProvider(provider.id));
  }

  async #provider(ref: string): Promise<BrokerProvider> {
    const provider = await this.providers.get(ref);
    if (!provider) throw notFound(`broker provider '${ref}' not found`);
    return provider;
  }

  #audit(grant: GrantInfo, provider: Pick<BrokerProvider, 'id' | 'slug'>, actor: GrantActor, reason: RevokeReason): void {
    this.runtime().audit.emit({
      action: 'broker_grant_revoked',
      actor_id: actor.actor_id,
      user_id: grant.user_id,
      ip: actor.ip ?? null,
      request_id: actor.request_id ?? null,
      detail: { provider: provider.slug, provider_id: provider.id, grant_id: grant.id, version: grant.version, scopes: grant.scopes, reason },
    });
  }
}

function toAdminGrant(grant: GrantInfo, slug: string | null): AdminGrant {
  return {
    id: grant.id,
    user_id: grant.user_id,
    provider: slug,
    provider_id: grant.provider_id,
    version: grant.version,
    scopes: grant.scopes,
    access_token_expires_at: iso(grant.access_expires_at),
    has_refresh_token: grant.has_refresh_token,
    key_id: grant.key_id,
    created_at: iso(grant.created_at)!,
    updated_at: iso(grant.updated_at)!,
  };
}
