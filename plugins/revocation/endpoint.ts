import type { Context } from 'koa';
import { InvalidRequest, readForm, requestInfo, type RuntimeApi } from 'authplane';
import type { Counter } from 'prom-client';

/** Why a token was revoked here, for `authserver_tokens_revoked_total{reason}` and the audit detail. */
export const CLIENT_REQUEST = 'client_request';

/**
 * `POST /oauth/revoke` (RFC 7009): client authentication (§2.1; a public client identifies itself with client_id
 * and may revoke its own tokens), then the `revokeToken` taps — this plugin denylists one of our JWTs by `jti`, oauth
 * revokes a refresh token's family and denylists the access tokens it issued. A token the caller does not own is
 * treated like an unknown one. §2.2: the answer is 200 either way, so it reveals nothing about the token.
 */
export function revocationEndpoint(runtime: () => RuntimeApi, revoked: Counter<'reason'>) {
  return async (ctx: Context): Promise<void> => {
    const rt = runtime();
    const params = readForm(ctx);
    const request = requestInfo(ctx, rt.config.server.issuer);
    const { client } = await rt.authenticateClient(request, params);
    const token = params.token;
    if (token === undefined) throw new InvalidRequest('token is required');
    const hint = params.token_type_hint;

    // RFC 7009 §2.1: a hint that does not find the token only narrows the first search; then every type is tried.
    let found: true | undefined = await rt.hooks.revokeToken.promise(token, hint, client);
    if (found === undefined && hint !== undefined) found = await rt.hooks.revokeToken.promise(token, undefined, client);
    if (found) {
      revoked.inc({ reason: CLIENT_REQUEST });
      // Our access tokens are JWTs: the jti says which one, without ever logging the token itself.
      const jti = rt.tokens.verifyAccessToken(token)?.jti;
      rt.audit.emit({
        action: 'token_revoked',
        actor_id: client.client_id,
        client_id: client.client_id,
        ip: request.ip,
        request_id: request.requestId,
        detail: { reason: CLIENT_REQUEST, token_type: jti ? 'access_token' : 'refresh_token', ...(jti ? { jti } : {}) },
      });
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    ctx.status = 200;
    ctx.body = '';
  };
}
