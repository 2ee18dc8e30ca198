import { defineGrant, echo, InvalidGrant, InvalidScope, InvalidTarget, type GrantHandler } from 'authplane';
import { parseScope } from './authorize-request.js';
import { auditFromToken, type OAuthState } from './context.js';
import { clip } from './error-text.js';
import { mintUserTokens } from './mint.js';
import { parseUseRecord, requestDigest, successorOf, type UseRecord } from './refresh-tokens.js';
import { revokeFamilyAndAccessTokens } from './token-hooks.js';

/**
 * `refresh_token` (RFC 6749 §6, OAuth 2.1 §4.3.1): rotation on every use, reuse detection per family (RFC 9700
 * §4.14.2), a short grace window for retries, and scope that can only narrow — within the client's current ceiling.
 * A token has one successor, whoever asks for it: inside the grace window the same request gets the same successor
 * again (refresh-tokens.ts says how), so a replay never starts a second line of tokens that reuse detection could
 * not see.
 */
export function refreshTokenGrant(state: OAuthState, tokenTtl: number): GrantHandler<'refresh_token'> {
  const deny = (reason: string, error: Error): never => {
    state.denied.inc({ reason });
    throw error;
  };
  return defineGrant({
    requiredParams: ['refresh_token'],
    tokenTtl,
    async handle(ctx) {
      const { params, client } = ctx;
      const runtime = state.runtime();
      const refresh = state.refresh();
      const found = await refresh.find(params.refresh_token);
      if (!found || found.token.client_id !== client.client_id) {
        return deny('invalid_grant', new InvalidGrant('refresh token is invalid'));
      }
      const { token, family } = found;
      if (family.revoked_at !== null) return deny('invalid_grant', new InvalidGrant('refresh token was revoked'));
      if (token.expires_at <= Date.now()) return deny('invalid_grant', new InvalidGrant('refresh token expired'));
      const dpopJkt = ctx.state.dpopJkt as string | undefined;
      if (token.dpop_jkt && dpopJkt !== token.dpop_jkt) {
        return deny('invalid_grant', new InvalidGrant('refresh token is bound to another DPoP key'));
      }
      // RFC 8707 §2.2: a refresh may name the resource again, but only the one the grant is for.
      if (params.resource !== undefined) {
        const named = await runtime.use('resources').resolve(params.resource);
        if (named?.id !== token.resource_id) {
          const issuedFor = await runtime.use('resources').get(token.resource_id);
          return deny(
            'invalid_target',
            new InvalidTarget(
              `resource ${echo(params.resource)} is not the resource this refresh token was issued for` +
                (issuedFor ? `; send ${echo(issuedFor.uri)} or no resource` : ''),
            ),
          );
        }
      }

      // A malformed or widening request is refused before the token is spent, so it does not burn the grant.
      const granted = token.scope.split(' ').filter(Boolean);
      let requested: string[];
      try {
        requested = params.scope !== undefined ? parseScope(params.scope).filter((s) => s !== 'offline_access') : granted;
      } catch (e) {
        return deny('invalid_scope', e as Error);
      }
      const beyond = requested.filter((s) => !granted.includes(s));
      if (beyond.length) return deny('invalid_scope', new InvalidScope(`scope was not granted: ${clip(beyond)}`));
      const request = requestDigest(requested, dpopJkt);
      let use: UseRecord | undefined = await refresh.consume(token.id, request);
      if (!use) {
        const spent = (await refresh.find(params.refresh_token))?.token;
        const grace = state.options.refreshReuseGrace * 1000;
        const inGrace = grace > 0 && !!spent && Date.now() - (spent.consumed_at ?? 0) <= grace;
        const recorded = parseUseRecord(spent?.consumed_scope_key ?? null);
        if (!inGrace || recorded?.request !== request) {
          await revokeFamilyAndAccessTokens(state, family.id, 'refresh_reuse');
          state.reuse.inc();
          runtime.audit.emit({
            action: 'token_revoked',
            ...auditFromToken(ctx),
            user_id: token.user_id,
            detail: { reason: 'refresh_reuse', family_id: family.id },
          });
          return deny('invalid_grant', new InvalidGrant('refresh token was already used; its grant has been revoked'));
        }
        // Inside the grace window the same client repeating the same request gets the same successor again.
        use = recorded;
      }

      const user = await runtime.use('users').get(token.user_id);
      if (!user || user.status !== 'active') {
        await revokeFamilyAndAccessTokens(state, family.id, 'user_inactive');
        return deny('invalid_grant', new InvalidGrant('the user is no longer active'));
      }
      const resource = await runtime.use('resources').get(token.resource_id);
      if (!resource) return deny('invalid_grant', new InvalidGrant('the resource of this grant no longer exists'));

      // The ceiling and the catalog are re-read now: a scope removed since the grant is no longer issued.
      const ceiling = (client.scope ?? '').split(' ').filter(Boolean);
      const catalog = new Set(resource.scopes.map((s) => s.name));
      const scopes = requested.filter((s) => catalog.has(s) && (ceiling.length === 0 || ceiling.includes(s)));
      if (scopes.length === 0 && requested.length > 0) {
        return deny('invalid_scope', new InvalidScope('none of the granted scopes is allowed any more'));
      }

      const minted = await mintUserTokens(state, ctx, {
        client,
        userId: user.id,
        resource,
        scopes,
        familyId: family.id,
        refreshToken: successorOf(params.refresh_token, use.nonce),
      });
      runtime.use('clients').touch(client.client_id);
      return {
        accessToken: minted.accessToken,
        refreshToken: minted.refreshToken,
        audit: { action: 'token_refreshed', userId: user.id, detail: { family_id: family.id, resource: resource.uri } },
      };
    },
  });
}
