import { InvalidRequest, type JwtClaims, type RuntimeApi } from 'authplane';

/** RFC 8693 §3: the token types this server accepts; both name its own RFC 9068 access tokens. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ACCEPTED_TYPES = new Set([ACCESS_TOKEN_TYPE, JWT_TYPE]);

/** A subject or actor token that checked out: signed by us, unexpired, not revoked. */
export interface PresentedToken {
  claims: JwtClaims & { sub: string; jti: string; client_id: string; scope: string; exp: number };
}

/** Why a presented token is refused; the grant turns it into `invalid_grant` with an audited reason. */
export type TokenProblem = 'invalid' | 'revoked';

export function checkType(role: 'subject' | 'actor', type: string | undefined): void {
  if (type === undefined) throw new InvalidRequest(`${role}_token_type is required with ${role}_token`);
  if (!ACCEPTED_TYPES.has(type)) {
    // RFC 8693 §2.2.2: a type the server cannot process is a malformed request, not a bad grant.
    throw new InvalidRequest(`${role}_token_type must be ${ACCESS_TOKEN_TYPE} or ${JWT_TYPE}`);
  }
}

/**
 * Only access tokens this server issued, still within their lifetime (the server's clock) and not revoked. Anything
 * else — a foreign JWT, a refresh token, an expired or revoked token — is a grant the client may not use.
 */
export async function verifyPresented(runtime: RuntimeApi, token: string): Promise<PresentedToken | TokenProblem> {
  const claims = runtime.tokens.verifyAccessToken(token);
  if (
    !claims ||
    typeof claims.sub !== 'string' ||
    typeof claims.jti !== 'string' ||
    typeof claims.client_id !== 'string' ||
    typeof claims.scope !== 'string' ||
    typeof claims.exp !== 'number'
  ) {
    return 'invalid';
  }
  if (await runtime.tokens.isRevoked(claims.jti)) return 'revoked';
  return { claims: claims as PresentedToken['claims'] };
}
