/**
 * A failed call to an upstream token endpoint, with a reason a caller can act on. The message names the provider
 * and what went wrong, never a secret, code, verifier or token: whatever the upstream echoed of those is redacted
 * before it is quoted (upstream-client.ts).
 */

/**
 * - `invalid_grant`: the user's grant is gone upstream (revoked, expired, a code or refresh token already used):
 *   the user must connect again.
 * - `invalid_client`: the provider refused the broker's client credentials (operator configuration).
 * - `misconfigured`: the call could not be made as configured (the secret's variable is unset).
 * - `upstream_error`: another OAuth error, or an HTTP error status, from the token endpoint.
 * - `refused_address`, `timeout`, `network`, `too_large`: the outbound request got no usable answer.
 * - `bad_response`: an answer that is not a token response (not JSON, no access_token, a redirect).
 */
export type UpstreamFailure =
  | 'invalid_grant'
  | 'invalid_client'
  | 'misconfigured'
  | 'upstream_error'
  | 'refused_address'
  | 'timeout'
  | 'network'
  | 'too_large'
  | 'bad_response';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  /** The HTTP status of the answer, when there was one. */
  readonly status: number | undefined;
  /** The upstream's own error code (`invalid_grant`, GitHub's `bad_verification_code`…), when it gave one. */
  readonly upstreamError: string | undefined;

  constructor(
    readonly reason: UpstreamFailure,
    /** The provider's slug. */
    readonly provider: string,
    message: string,
    options: ErrorOptions & { status?: number; upstreamError?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.upstreamError = options.upstreamError;
  }

  /** True when only the user connecting again can help. */
  get grantGone(): boolean {
    return this.reason === 'invalid_grant';
  }
}
