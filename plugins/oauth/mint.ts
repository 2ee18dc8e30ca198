import type { Knex } from 'knex';
import type { Client, Resource, TokenContext, TokenResponseBody } from 'authplane';
import type { OAuthState } from './context.js';

export interface MintInput {
  tokenContext: TokenContext;
  client: Client;
  userId: string;
  resource: Resource;
  scopes: string[];
  /** An existing family (refresh) or undefined to start one (authorization code). */
  familyId?: string;
  /** The refresh token to store and return (a rotation's successor); a fresh random one when absent. */
  refreshToken?: string;
  grantType: string;
  /**
   * Rows that belong with the tokens (the code's record of what it produced): written in the refresh token's
   * transaction when there is one — one commit instead of two — else on their own. Gets the family and the jti.
   */
  record?(minted: { familyId: string | null; jti: string }, trx?: Knex.Transaction): Promise<void>;
}

export interface Minted {
  body: TokenResponseBody;
  jti: string;
  familyId: string | null;
}

/**
 * An audience-bound access token (RFC 9068, `aud` = the resource URI) and, for clients allowed to refresh, the next
 * refresh token of the family. The refresh row is written before the response is sent.
 */
export async function mintUserTokens(state: OAuthState, input: MintInput): Promise<Minted> {
  const runtime = state.runtime();
  const ttl = runtime.config.tokens.accessTokenTtl;
  const scope = input.scopes.join(' ');
  const issued = await runtime.tokens.issueAccessToken({
    subject: input.userId,
    clientId: input.client.client_id,
    audience: [input.resource.uri],
    scope,
    ttl,
    grantType: input.grantType,
    tokenContext: input.tokenContext,
  });
  const body: TokenResponseBody = { access_token: issued.token, token_type: 'Bearer', expires_in: ttl, scope };
  let familyId: string | null = null;
  if (input.client.grant_types.includes('refresh_token')) {
    const refresh = state.refresh();
    const dpopJkt = input.tokenContext.state.dpopJkt as string | undefined;
    body.refresh_token = await runtime.db.transaction(async (trx: Knex.Transaction) => {
      const started = input.familyId === undefined;
      const family =
        input.familyId ??
        (await refresh.startFamily({ clientId: input.client.client_id, userId: input.userId, resourceId: input.resource.id }, trx));
      familyId = family;
      const token = await refresh.issue(
        {
          familyId: family,
          clientId: input.client.client_id,
          userId: input.userId,
          resourceId: input.resource.id,
          scope,
          accessJti: issued.jti,
          accessExpiresAt: issued.expiresAt * 1000,
          dpopJkt,
          token: input.refreshToken,
          // A family started just now already expires with this token.
          extendFamily: !started,
        },
        trx,
      );
      await input.record?.({ familyId: family, jti: issued.jti }, trx);
      return token;
    });
  } else {
    await input.record?.({ familyId: null, jti: issued.jti });
  }
  return { body, jti: issued.jti, familyId };
}
