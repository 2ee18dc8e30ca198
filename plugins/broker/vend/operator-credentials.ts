/**
 * Upstream credentials that belong to the operator rather than to a user, for `api_key` and `service_account`
 * providers: nobody connects, so a vend needs no user grant — only the gates on the user's token and the agent.
 * - `api_key`: the key in the environment variable `credential_ref` names, read at each vend (a changed variable
 *   takes effect on restart of the process environment, never from a stale copy of ours).
 * - `service_account`: a token from the client credentials grant (RFC 6749 §4.4) at the provider, for the upstream
 *   scopes asked, kept in memory until `vend.refreshSkewSeconds` before it expires — an hour when the provider
 *   does not say — with one request upstream at a time per provider and scope set. The key of the cache holds the provider's `updated_at`, so an edited
 *   provider (a new client id or token URL) is asked afresh.
 */
import type { RegisterApi, RuntimeApi } from 'authplane';
import type { ApiKeyProvider, ServiceAccountProvider, UpstreamTokens } from '../types.js';
import type { UpstreamClient } from '../upstream-client.js';
import { UpstreamError, type UpstreamFailure } from '../upstream-error.js';
import { SingleFlight } from './single-flight.js';

export type OperatorToken = { kind: 'usable'; tokens: UpstreamTokens } | { kind: 'unavailable'; reason: UpstreamFailure };

/**
 * RFC 6750 bearer semantics describe an API key exactly: whoever holds it may use it. How it is sent (an
 * `Authorization: Bearer` header, `x-api-key`…) is the upstream's convention, which the MCP server for that
 * upstream knows.
 */
export const API_KEY_TOKEN_TYPE = 'Bearer';

export interface OperatorCredentialDependencies {
  upstream: UpstreamClient;
  runtime: () => RuntimeApi;
  log: RegisterApi['log'];
  environmentVariable: (name: string) => string | undefined;
  refreshSkewMs: number;
}

/** How long a service account token whose provider gave no `expires_in` is reused. */
const UNDATED_TOKEN_REUSE_MS = 60 * 60 * 1000;

export class OperatorCredentials {
  readonly #cache = new Map<string, { tokens: UpstreamTokens; staleAt: number }>();
  readonly #flights = new SingleFlight<OperatorToken>();

  constructor(private readonly deps: OperatorCredentialDependencies) {}

  apiKey(provider: ApiKeyProvider): OperatorToken {
    const key = this.deps.environmentVariable(provider.config.credential_ref);
    if (!key) {
      this.deps.log.error({ provider: provider.slug, variable: provider.config.credential_ref }, 'the variable holding the provider API key is not set');
      return { kind: 'unavailable', reason: 'misconfigured' };
    }
    return { kind: 'usable', tokens: { access_token: key, token_type: API_KEY_TOKEN_TYPE, scopes: [...provider.config.scopes] } };
  }

  async serviceAccount(provider: ServiceAccountProvider, scopes: readonly string[]): Promise<OperatorToken> {
    const asked = [...new Set(scopes)].sort();
    const key = `${provider.id}\0${provider.updated_at}\0${asked.join(' ')}`;
    const cached = this.#cache.get(key);
    if (cached && cached.staleAt > this.deps.runtime().now()) return { kind: 'usable', tokens: cached.tokens };
    return this.#flights.run(key, async () => {
      try {
        // Nothing mapped: the provider's default scopes (UpstreamClient.clientCredentials).
        const tokens = await this.deps.upstream.clientCredentials(provider, asked.length ? asked : undefined);
        const now = this.deps.runtime().now();
        for (const [k, entry] of this.#cache) if (entry.staleAt <= now) this.#cache.delete(k);
        const staleAt = tokens.expires_at !== undefined ? tokens.expires_at - this.deps.refreshSkewMs : now + UNDATED_TOKEN_REUSE_MS;
        this.#cache.set(key, { tokens, staleAt });
        return { kind: 'usable', tokens };
      } catch (err) {
        if (!(err instanceof UpstreamError)) throw err;
        this.deps.log.warn({ provider: provider.slug, reason: err.reason, upstream_error: err.upstreamError, status: err.status, err: err.message }, 'service account token request failed');
        return { kind: 'unavailable', reason: err.reason };
      }
    });
  }
}
