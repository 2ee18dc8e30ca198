import { createHash, timingSafeEqual } from 'node:crypto';
import { defineGrant, echo, InvalidGrant, InvalidTarget, type GrantHandler } from 'authplane';
import { auditFromToken, type OAuthState } from './context.js';
import { mintUserTokens } from './mint.js';
import { revokeFamilyAndAccessTokens } from './token-hooks.js';

/** RFC 7636 §4.1. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

function pkceMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** `authorization_code` (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.6, and RFC 8707 `resource`). */
export function authorizationCodeGrant(state: OAuthState, tokenTtl: number): GrantHandler<'code' | 'code_verifier'> {
  const deny = (reason: string, error: Error): never => {
    state.denied.inc({ reason });
    throw error;
  };
  return defineGrant({
    requiredParams: ['code', 'code_verifier'],
    tokenTtl,
    async handle(ctx) {
      const { params, client } = ctx;
      const runtime = state.runtime();
      const consumed = await state.codes().consume(params.code, client.client_id);
      if (!consumed) return deny('invalid_grant', new InvalidGrant('authorization code is invalid or expired'));
      if ('foreign' in consumed) return deny('invalid_grant', new InvalidGrant('authorization code was issued to another client'));
      if ('replayed' in consumed) {
        // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it — when its own client uses it twice.
        // A used code is no secret (browser history, Referer, proxy logs), and a public client's id proves nothing,
        // so the revocation needs the code's PKCE verifier too: whoever merely saw the code cannot end the grant.
        const replayed = consumed.replayed;
        if (!CODE_VERIFIER.test(params.code_verifier) || !pkceMatches(params.code_verifier, replayed.code_challenge)) {
          return deny('invalid_pkce', new InvalidGrant('code_verifier does not match the code_challenge'));
        }
        if (replayed.family_id) await revokeFamilyAndAccessTokens(state, replayed.family_id, 'code_replay');
        if (replayed.access_jti) {
          await runtime.tokens.revokeJti(replayed.access_jti, Math.floor(Date.now() / 1000) + runtime.config.tokens.accessTokenTtl, 'code_replay');
          await runtime.tokens.revokeLineage({ derivedFrom: replayed.access_jti }, 'code_replay');
        }
        runtime.audit.emit({
          action: 'token_revoked',
          ...auditFromToken(ctx),
          user_id: replayed.user_id,
          detail: { reason: 'code_replay', family_id: replayed.family_id, access_jti: replayed.access_jti },
        });
        return deny('invalid_grant', new InvalidGrant('authorization code was already used'));
      }
      const row = consumed.row;
      const extra = row.extra ? (JSON.parse(row.extra) as { redirect_uri_sent?: boolean }) : {};
      // RFC 6749 §4.1.3: redirect_uri must be repeated exactly when the authorization request had it.
      const sent = params.redirect_uri;
      if ((extra.redirect_uri_sent && sent !== row.redirect_uri) || (sent !== undefined && sent !== row.redirect_uri)) {
        return deny('invalid_grant', new InvalidGrant('redirect_uri does not match the authorization request'));
      }
      if (!CODE_VERIFIER.test(params.code_verifier) || !pkceMatches(params.code_verifier, row.code_challenge)) {
        return deny('invalid_pkce', new InvalidGrant('code_verifier does not match the code_challenge'));
      }
      const resources = runtime.use('resources');
      const resource = await resources.get(row.resource_id);
      if (!resource) return deny('invalid_grant', new InvalidGrant('the resource of this code no longer exists'));
      if (params.resource !== undefined) {
        const named = await resources.resolve(params.resource);
        if (named?.id !== resource.id) {
          return deny(
            'invalid_target',
            new InvalidTarget(`resource ${echo(params.resource)} is not the resource of the authorization request (${echo(resource.uri)})`),
          );
        }
      }
      const user = await runtime.use('users').get(row.user_id);
      if (!user || user.status !== 'active') return deny('invalid_grant', new InvalidGrant('the user is no longer active'));

      const scopes = row.scope.split(' ').filter((s) => s && s !== 'offline_access');
      // Without a refresh family the token rests on the consent itself (lineage.ts): read only then.
      const consentId = client.grant_types.includes('refresh_token')
        ? undefined
        : (await state.consents().find(user.id, client.client_id, resource.id))?.id;
      const minted = await mintUserTokens(state, ctx, {
        client,
        userId: user.id,
        resource,
        scopes,
        consentId,
        record: ({ familyId, jti }, trx) => state.codes().recordIssued(row.code_hash, familyId, jti, trx),
      });
      runtime.use('clients').touch(client.client_id);
      return {
        accessToken: minted.accessToken,
        refreshToken: minted.refreshToken,
        audit: { userId: user.id, detail: { resource: resource.uri, refresh: minted.refreshToken !== undefined } },
      };
    },
  });
}
