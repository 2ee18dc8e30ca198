import type { JwtClaims, TokenIssuer } from '../contracts.js';
import type { HookCatalog, RegistryCatalog, TokenInfo } from '../hooks.js';

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
  };
}

/**
 * The kernel's own taps: it issues every JWT access token, so it is the one to recognise them at introspection
 * and revocation, and it owns the purge targets of the issuance rows and the denylist.
 */
export function tapAccessTokenHooks(
  hooks: HookCatalog,
  registries: RegistryCatalog,
  tokens: () => TokenIssuer,
  issuanceRetentionDays: () => number,
): void {
  hooks.introspectToken.tapPromise('kernel', async (token, hint) => {
    if (hint === 'refresh_token' && !token.includes('.')) return undefined;
    const claims = tokens().verifyAccessToken(token);
    if (!claims?.jti) return undefined;
    if (await tokens().isRevoked(claims.jti)) return { active: false } as unknown as TokenInfo;
    return accessTokenInfo(claims);
  });
  // RFC 7009 §2.1: only the client the token was issued to may revoke it; anything else is treated as unknown.
  hooks.revokeToken.tapPromise('kernel', async (token, _hint, client) => {
    const claims = tokens().verifyAccessToken(token);
    if (!claims?.jti || claims.client_id !== client.client_id) return undefined;
    await tokens().revokeJti(claims.jti, claims.exp!, 'revoked');
    return true;
  });
  registries.purgeTargets.register(
    'token_denylist',
    {
      description: 'denylisted jtis whose token has expired anyway',
      purge: ({ db, now }) => db('token_denylist').where('expires_at', '<', now.getTime()).delete(),
    },
    'kernel',
  );
  registries.purgeTargets.register(
    'token_issuances',
    {
      description: 'issuance rows of tokens expired longer ago than tokens.issuanceRetentionDays',
      purge: ({ db, now }) =>
        db('token_issuances').where('expires_at', '<', now.getTime() - issuanceRetentionDays() * 86_400_000).delete(),
    },
    'kernel',
  );
}
