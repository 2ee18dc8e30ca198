/**
 * The token-exchange plugin's `tokenExchange` service, as other plugins see it (`api.use('tokenExchange')`): a plugin
 * that serves the tokens of a resource kind other than `mint` (the broker: `broker` resources, whose tokens are an
 * upstream provider's) registers a backend for that kind, and the exchange grant hands it every exchange targeting
 * such a resource once the gates common to all exchanges have passed. Other plugins import these types only
 * (`import type`).
 */
import type { GrantContext, GrantResult, JwtClaims, OAuthError } from 'authplane';
import type { Resource } from '../resources/types.js';

/** The subject token's claims once verified: signed by this server, unexpired, not revoked. */
export type ExchangeSubjectClaims = JwtClaims & { sub: string; jti: string; client_id: string; scope: string; exp: number };

/**
 * Where the subject token's chain of exchanges started: the token a user (or a machine client) was given directly.
 * A user's consent was given to that token's client, for that token's resource.
 */
export interface ExchangeOrigin {
  /** The user the chain started from; undefined when it started from a machine grant (client_credentials). */
  userId: string | undefined;
  /** The client the original token was issued to. */
  clientId: string;
  /** The original token's audience: the resource the user consented to. */
  audience: string[];
  /** The grant type of the original token (`authorization_code`, `refresh_token`, `client_credentials`…). */
  grantType: string;
}

/** One exchange a backend serves, after the common gates. */
export interface ExchangeBackendRequest {
  /** The token request: answer through `ctx.vendUpstreamToken` (or `ctx.issueAccessToken`), once. */
  readonly ctx: GrantContext<'subject_token' | 'subject_token_type'>;
  readonly subject: Readonly<ExchangeSubjectClaims>;
  /** The target resource, whose `backend_kind` is the kind the backend registered for. */
  readonly target: Readonly<Resource>;
  /** The `scope` parameter's scopes; undefined when the request named none (the backend picks its default). */
  readonly scopes: readonly string[] | undefined;
  readonly origin: Readonly<ExchangeOrigin>;
  /**
   * Refuses the exchange as the grant refuses its own: audits `token_exchange_denied` (detail: `reason`, `error`,
   * `detail`) and counts `authplane_token_exchange_denied_total{reason}`, then throws `error`. `reason` is a short
   * snake_case word of the backend's (`agent_not_attested`, `consent_required`…).
   */
  deny(reason: string, error: OAuthError, detail?: Record<string, unknown>): never;
}

/**
 * A backend for one resource kind. `exchange` decides the rest (the subject's scope ceiling, the user's grants
 * upstream, consent: throw `ConsentRequired` when the user must grant something) and returns the grant's result.
 * The grant adds `issued_token_type` (RFC 8693 §2.2.1) unless the backend set it, and `subject_jti`,
 * `subject_client_id` and `target` to the audit detail; `audit.userId` defaults to the origin's user.
 */
export interface ExchangeBackend {
  /** The plugin registering it (`api.name`), named when another registers the same kind. */
  readonly plugin: string;
  exchange(request: ExchangeBackendRequest): Promise<GrantResult>;
}

export interface TokenExchangeService {
  /**
   * Serves exchanges targeting resources of `kind` (call in register). A second backend for a kind, a backend for
   * `mint` (the grant's own) and a call after register stop boot (AP_ERR_TOKEN_EXCHANGE_BACKEND_DUPLICATE, AP_ERR_TOKEN_EXCHANGE_BACKEND_INVALID).
   */
  registerBackend(kind: string, backend: ExchangeBackend): void;
}

declare module 'authplane' {
  interface Services {
    tokenExchange: TokenExchangeService;
  }
}
