import type { RegisterApi } from 'authplane';

/**
 * Our own JWT access and machine tokens at revocation: their jti is denylisted until the token expires, and so is
 * every token derived from it (token exchange: the issuance rows' `parent_jti`).
 * RFC 7009 §2.1: only the client the token was issued to may revoke it; anything else is treated as unknown.
 */
export function tapAccessTokenRevocation(api: RegisterApi): void {
  api.hooks.revokeToken.tapPromise(api.name, async (token, _hint, client) => {
    const tokens = api.runtime().tokens;
    const claims = tokens.verifyAccessToken(token);
    if (!claims?.jti || claims.client_id !== client.client_id) return undefined;
    await tokens.revokeJti(claims.jti, claims.exp!, 'revoked');
    // A revoked source stops its derivatives too: every token exchanged from this one, however many times over.
    await tokens.revokeLineage({ derivedFrom: claims.jti }, 'revoked');
    return true;
  });
}
