import type { Knex } from 'knex';
import { uuidv7, type Client, type GrantContext, type IssuedAccessToken } from 'authplane';
import type { Resource } from '../resources/types.js';
import type { OAuthState } from './context.js';
import { consentRef, familyRef } from './lineage.js';

export interface MintInput {
  client: Client;
  userId: string;
  resource: Resource;
  scopes: string[];
  /** An existing family (refresh) or undefined to start one (authorization code). */
  familyId?: string;
  /** The consent the tokens rest on when the client may not refresh (there is no family then): lineage.ts. */
  consentId?: string;
  /** The refresh token to store and return (a rotation's successor); a fresh random one when absent. */
  refreshToken?: string;
  /**
   * Rows that belong with the tokens (the code's record of what it produced): written in the refresh token's
   * transaction when there is one — one commit instead of two — else on their own. Gets the family and the jti.
   */
  record?(minted: { familyId: string | null; jti: string }, trx?: Knex.Transaction): Promise<void>;
}

export interface Minted {
  accessToken: IssuedAccessToken;
  /** Only for clients allowed to refresh. */
  refreshToken?: string;
  familyId: string | null;
}

/**
 * An audience-bound access token (RFC 9068, `aud` = the resource URI), issued through the grant's context so it
 * carries the request's binding, and, for clients allowed to refresh, the next refresh token of the family. The
 * refresh row is written before the response is sent.
 */
export async function mintUserTokens(state: OAuthState, ctx: GrantContext<string>, input: MintInput): Promise<Minted> {
  const runtime = state.runtime();
  const scope = input.scopes.join(' ');
  const refreshes = input.client.grant_types.includes('refresh_token');
  // A new family's id is chosen now: the access token, issued first, rests on it.
  const started = refreshes && input.familyId === undefined;
  const family = refreshes ? (input.familyId ?? uuidv7()) : undefined;
  const grantRef = family !== undefined ? familyRef(family) : input.consentId !== undefined ? consentRef(input.consentId) : undefined;
  const issued = await ctx.issueAccessToken({ subject: input.userId, audience: [input.resource.uri], scope, grantRef });
  if (family === undefined) {
    await input.record?.({ familyId: null, jti: issued.jti });
    return { accessToken: issued, familyId: null };
  }
  const refresh = state.refresh();
  const dpopJkt = ctx.state.dpopJkt as string | undefined;
  const refreshToken = await runtime.db.transaction(async (trx: Knex.Transaction) => {
    if (started) {
      await refresh.startFamily({ id: family, clientId: input.client.client_id, userId: input.userId, resourceId: input.resource.id }, trx);
    }
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
  return { accessToken: issued, refreshToken, familyId: family };
}
