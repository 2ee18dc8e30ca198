/**
 * A user's upstream grant with a token fit to vend: read as stored, refreshed first when its access token expires
 * within `vend.refreshSkewSeconds` (RFC 6749 §6). The refresh is saved only over the version it read
 * (GrantStore.saveRefreshed), with the rotated refresh token in the same sealed write, so:
 * - concurrent vends on this server share one refresh (single flight per user and provider), and a vend that read
 *   the grant before another's refresh landed reads it again inside the flight instead of refreshing twice;
 * - a replica that lost the race (its save refused, or its refresh refused because the winner rotated the refresh
 *   token first) reads the winner's grant and vends that: outcome `raced`;
 * - a refresh the upstream refuses (`invalid_grant`: revoked, expired, a rotated-out token) makes the grant useless:
 *   it is deleted — only at the version read, never over a newer write — and the user must connect again;
 * - an upstream that cannot be reached leaves the grant as it is.
 * Outcomes are counted in `upstream_token_refresh_total{outcome,provider}`; `broker_grant_updated` and
 * `broker_grant_revoked` audit what was written, never a token.
 */
import type { RegisterApi, RuntimeApi } from 'authplane';
import type { GrantInfo, GrantStore } from '../grants/store.js';
import type { OAuthProvider, UpstreamTokens } from '../types.js';
import type { UpstreamClient } from '../upstream-client.js';
import { UpstreamError, type UpstreamFailure } from '../upstream-error.js';
import { SingleFlight } from './single-flight.js';

export type RefreshOutcome = 'success' | 'failed' | 'error' | 'raced';

export type FreshGrant =
  | { kind: 'usable'; grant: GrantInfo; tokens: UpstreamTokens; refresh?: 'success' | 'raced' }
  /** No grant (any more), or its access token expired with no refresh token to renew it: the user must connect. */
  | { kind: 'missing'; why: 'no_grant' | 'expired' | 'refresh_refused' }
  /** The upstream could not refresh now (unreachable, a timeout, an error of its own, our client refused). */
  | { kind: 'unavailable'; reason: UpstreamFailure };

/** Who caused a write, for its audit event: the vend request that ran the refresh. */
export interface RefreshActor {
  clientId: string;
  ip: string | null;
  requestId: string | null;
}

export interface FreshGrantDependencies {
  grants: GrantStore;
  upstream: UpstreamClient;
  runtime: () => RuntimeApi;
  log: RegisterApi['log'];
  refreshSkewMs: number;
  countRefresh: (outcome: RefreshOutcome, provider: string) => void;
}

type Opened = { grant: GrantInfo; tokens: UpstreamTokens };

export class FreshGrants {
  readonly #flights = new SingleFlight<FreshGrant>();

  constructor(private readonly deps: FreshGrantDependencies) {}

  /** Whether the access token is too close to its expiry to hand out (a token without expiry never is). */
  stale(tokens: UpstreamTokens): boolean {
    return tokens.expires_at !== undefined && tokens.expires_at - this.deps.runtime().now() <= this.deps.refreshSkewMs;
  }

  /** Less than a second left: not worth vending (`expires_in` would be 0). */
  #expired(tokens: UpstreamTokens): boolean {
    return tokens.expires_at !== undefined && tokens.expires_at - this.deps.runtime().now() < 1000;
  }

  /** The grant `opened` (just read), refreshed first when it is stale. */
  async fresh(provider: OAuthProvider, opened: Opened, actor: RefreshActor): Promise<FreshGrant> {
    if (!this.stale(opened.tokens)) return { kind: 'usable', ...opened };
    const key = `${opened.grant.user_id}\0${provider.id}`;
    return this.#flights.run(key, () => this.#refreshIfStale(provider, opened.grant.user_id, actor));
  }

  async #refreshIfStale(provider: OAuthProvider, userId: string, actor: RefreshActor): Promise<FreshGrant> {
    const { grants } = this.deps;
    // Read again inside the flight: a refresh that finished since the caller read the grant already did the work.
    const current = await grants.open(userId, provider.id);
    if (!current) return { kind: 'missing', why: 'no_grant' };
    if (!this.stale(current.tokens)) return { kind: 'usable', ...current };
    const refreshToken = current.tokens.refresh_token;
    if (refreshToken === undefined) {
      // Nothing to renew it with: hand out what is left of it, and once it is gone the user connects again.
      return this.#expired(current.tokens) ? { kind: 'missing', why: 'expired' } : { kind: 'usable', ...current };
    }
    let refreshed;
    try {
      refreshed = await this.deps.upstream.refresh(provider, refreshToken, { grantedScopes: current.tokens.scopes });
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      return this.#refused(provider, current, err, actor);
    }
    const { refresh_token_rotated: rotated, ...stored } = refreshed;
    const version = current.grant.version;
    if (!(await grants.saveRefreshed(userId, provider.id, version, stored))) return this.#raced(provider, userId);
    this.deps.countRefresh('success', provider.slug);
    this.#audit('broker_grant_updated', userId, actor, { reason: 'refresh', provider: provider.slug, provider_id: provider.id, version: version + 1, refresh_token_rotated: rotated });
    const saved = await grants.info(userId, provider.id);
    return {
      kind: 'usable',
      grant: saved ?? { ...current.grant, version: version + 1, scopes: stored.scopes, access_expires_at: stored.expires_at ?? null },
      tokens: stored,
      refresh: 'success',
    };
  }

  async #refused(provider: OAuthProvider, current: Opened, err: UpstreamError, actor: RefreshActor): Promise<FreshGrant> {
    const { grants, log } = this.deps;
    const userId = current.grant.user_id;
    const fields = { provider: provider.slug, user_id: userId, reason: err.reason, upstream_error: err.upstreamError, status: err.status };
    if (!err.grantGone) {
      this.deps.countRefresh('error', provider.slug);
      // The message names the provider and the failure; upstream-client.ts redacted whatever was sent.
      log.warn({ ...fields, err: err.message }, 'upstream token refresh failed; the grant is kept');
      return { kind: 'unavailable', reason: err.reason };
    }
    // Refused: unless another replica rotated the refresh token first (then its grant stands), the grant is dead.
    const version = current.grant.version;
    if (!(await grants.deleteAtVersion(userId, provider.id, version))) return this.#raced(provider, userId);
    this.deps.countRefresh('failed', provider.slug);
    log.warn({ ...fields, version }, 'upstream refused the refresh; the grant is revoked and the user must connect again');
    this.#audit('broker_grant_revoked', userId, actor, { reason: 'upstream_invalid_grant', provider: provider.slug, provider_id: provider.id, version });
    return { kind: 'missing', why: 'refresh_refused' };
  }

  /** Another write came first (a replica's refresh, a reconnect, a disconnect): what it left is the grant. */
  async #raced(provider: OAuthProvider, userId: string): Promise<FreshGrant> {
    this.deps.countRefresh('raced', provider.slug);
    const winner = await this.deps.grants.open(userId, provider.id);
    if (!winner) return { kind: 'missing', why: 'no_grant' };
    if (this.#expired(winner.tokens)) return { kind: 'missing', why: 'expired' };
    return { kind: 'usable', ...winner, refresh: 'raced' };
  }

  #audit(action: string, userId: string, actor: RefreshActor, detail: Record<string, unknown>): void {
    this.deps.runtime().audit.emit({
      action,
      actor_id: actor.clientId,
      client_id: actor.clientId,
      user_id: userId,
      ip: actor.ip,
      request_id: actor.requestId,
      detail,
    });
  }
}
