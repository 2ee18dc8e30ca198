/**
 * The SDK's errors. A refused request is a `TokenError`: it carries what a resource server needs to answer —
 * the RFC 6750 / RFC 9449 error code, the HTTP status, the challenge scheme — and a machine-readable `reason`
 * for logs and metrics. Failures to reach the authorization server are not the caller's fault and are a separate
 * class, so they become a 503 instead of a 401 that would send a client into a pointless re-authorization.
 */

/** RFC 6750 §3.1 and RFC 9449 §7.1 error codes a resource server answers with. */
export type TokenErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof';

/** Why a token or proof was refused; stable strings meant for logs, metrics and tests. */
export type TokenErrorReason =
  | 'missing_token'
  | 'malformed_header'
  | 'malformed_token'
  | 'typ'
  | 'alg'
  | 'unknown_kid'
  | 'signature'
  | 'missing_claim'
  | 'iss'
  | 'aud'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'inactive'
  | 'insufficient_scope'
  | 'dpop_missing_proof'
  | 'dpop_multiple_proofs'
  | 'dpop_malformed'
  | 'dpop_typ'
  | 'dpop_alg'
  | 'dpop_jwk'
  | 'dpop_signature'
  | 'dpop_htm'
  | 'dpop_htu'
  | 'dpop_iat'
  | 'dpop_ath'
  | 'dpop_replay'
  | 'dpop_key_mismatch'
  | 'dpop_bound_token_as_bearer'
  | 'dpop_unbound_token';

export type ChallengeScheme = 'Bearer' | 'DPoP';

export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly code: TokenErrorCode | undefined;
  readonly reason: TokenErrorReason;
  readonly status: 400 | 401 | 403;
  readonly scheme: ChallengeScheme;
  /** For `insufficient_scope`: the scopes the request needs. */
  readonly requiredScopes: readonly string[];

  constructor(
    reason: TokenErrorReason,
    message: string,
    options: { code?: TokenErrorCode; status?: 400 | 401 | 403; scheme?: ChallengeScheme; requiredScopes?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    // RFC 6750 §3.1: a request without any credentials gets a challenge without an error code.
    this.code = reason === 'missing_token' ? undefined : (options.code ?? 'invalid_token');
    this.status = options.status ?? (this.code === 'insufficient_scope' ? 403 : this.code === 'invalid_request' ? 400 : 401);
    this.scheme = options.scheme ?? 'Bearer';
    this.requiredScopes = options.requiredScopes ?? [];
  }

  /** The same refusal answered with another challenge scheme (a DPoP-bound token gets a DPoP challenge). */
  withScheme(scheme: ChallengeScheme): TokenError {
    if (scheme === this.scheme) return this;
    return new TokenError(this.reason, this.message, {
      code: this.code,
      status: this.status,
      scheme,
      requiredScopes: this.requiredScopes,
      cause: this.cause,
    });
  }
}

/** Discovery, JWKS or introspection could not be fetched or made no sense: answer 503, not 401. */
export class AuthorizationServerError extends Error {
  override readonly name: string = 'AuthorizationServerError';
  readonly status: 500 | 503 = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The metadata names another issuer than the `issuer` option (RFC 8414 §3.3 wants them equal, byte for byte):
 * the authorization server answers, this resource server is configured with another spelling of its URL (a
 * trailing slash, `localhost` for `127.0.0.1`, http for https). A configuration error, so 500 rather than 503.
 */
export class IssuerMismatchError extends AuthorizationServerError {
  override readonly name = 'IssuerMismatchError';
  override readonly status = 500;
  constructor(
    readonly expected: string,
    readonly received: unknown,
    metadataUrl: string,
  ) {
    super(`the authorization server metadata at ${metadataUrl} names issuer ${JSON.stringify(received)}, expected ${JSON.stringify(expected)} (the issuer option must equal it exactly)`);
  }
}

/** An OAuth error response (RFC 6749 §5.2) from the token, introspection or revocation endpoint. */
export class OAuthClientError extends Error {
  override readonly name = 'OAuthClientError';
  readonly error: string;
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    const error = typeof body.error === 'string' ? body.error : `http_${status}`;
    const description = typeof body.error_description === 'string' ? body.error_description : undefined;
    super(description ? `${error}: ${description}` : error);
    this.error = error;
    this.status = status;
    this.body = body;
  }
}
