import type { RegisterApi, TokenInfo } from 'authplane';
import type { OAuthState } from './context.js';
import { revokeFamilyLineages } from './lineage.js';

/** Our refresh tokens are 32 random bytes in base64url: anything else is not ours to look up. */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Refresh tokens at the introspection (RFC 7662) and revocation (RFC 7009) endpoints. Revoking one revokes its
 * family and denylists the access tokens the family issued (RFC 7009 §2.1: the server may revoke related tokens).
 */
export function tapRefreshTokenHooks(api: RegisterApi, state: OAuthState): void {
  api.hooks.introspectToken.tapPromise(api.name, async (token, hint) => {
    if (!REFRESH_TOKEN.test(token) || hint === 'access_token') return undefined;
    const found = await state.refresh().find(token);
    if (!found) return undefined;
    const { token: row, family } = found;
    const live = family.revoked_at === null && row.consumed_at === null && row.expires_at > Date.now();
    if (!live) return { active: false } as unknown as TokenInfo;
    const resource = await state.runtime().use('resources').get(row.resource_id);
    return {
      active: true,
      token_type: 'refresh_token',
      client_id: row.client_id,
      sub: row.user_id,
      aud: resource ? [resource.uri] : [],
      iss: api.config.server.issuer,
      scope: row.scope,
      exp: Math.floor(row.expires_at / 1000),
      iat: Math.floor(row.created_at / 1000),
      ...(row.dpop_jkt ? { cnf: { jkt: row.dpop_jkt } } : {}),
    };
  });

  api.hooks.revokeToken.tapPromise(api.name, async (token, hint, client) => {
    if (!REFRESH_TOKEN.test(token) || hint === 'access_token') return undefined;
    const found = await state.refresh().find(token);
    if (!found || found.token.client_id !== client.client_id) return undefined;
    await revokeFamilyAndAccessTokens(state, found.family.id, 'revoked');
    return true;
  });
}

/**
 * Revokes a family and denylists every access token issued from it (they may still be unexpired) and every token
 * exchanged from those: they all rest on the family (lineage.ts).
 */
export async function revokeFamilyAndAccessTokens(state: OAuthState, familyId: string, reason: string): Promise<number> {
  const revoked = await state.refresh().revokeFamily(familyId, reason);
  await revokeFamilyLineages(state, [familyId], reason);
  return revoked;
}
