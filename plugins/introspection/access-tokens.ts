import type { JwtClaims, RegisterApi, TokenInfo } from 'authplane';

/** RFC 7662 §2.2 members of an active JWT access token. */
export function accessTokenInfo(claims: JwtClaims): TokenInfo {
  const cnf = claims.cnf as Record<string, unknown> | undefined;
  return {
    active: true,
    token_type: cnf?.jkt ? 'DPoP' : 'Bearer',
    client_id: String(claims.client_id),
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    scope: claims.scope,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    ...(cnf ? { cnf } : {}),
    ...(claims.act ? { act: claims.act } : {}),
    // docs/agents.md: the agent identity claims the clients plugin adds.
    ...(claims.agent_id !== undefined ? { agent_id: claims.agent_id, agent_chain: claims.agent_chain } : {}),
  };
}

/**
 * Our own JWT access and machine tokens at introspection: the signature (verified once per token string by the
 * kernel's issuer), then the jti denylist on every call. A refresh-token hint skips a string that cannot be a JWT.
 */
export function tapAccessTokenIntrospection(api: RegisterApi): void {
  api.hooks.introspectToken.tapPromise(api.name, async (token, hint) => {
    if (hint === 'refresh_token' && !token.includes('.')) return undefined;
    const tokens = api.runtime().tokens;
    const claims = tokens.verifyAccessToken(token);
    if (!claims?.jti) return undefined;
    if (await tokens.isRevoked(claims.jti)) return { active: false } as unknown as TokenInfo;
    return accessTokenInfo(claims);
  });
}
