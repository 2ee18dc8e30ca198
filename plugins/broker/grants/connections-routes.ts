/**
 * `GET /connections` and `DELETE /connections/{provider}`: the signed-in user's connected accounts, for the
 * server's own pages and same-origin scripts. JSON API routes: without a session they answer 401 (a problem
 * document), not a login redirect. The session cookie is sent by the browser on its own, so the DELETE refuses
 * requests another site's page made (CSRF): see `sameOriginRequest`.
 */
import { ProblemError, type RegisterApi, type Services } from 'authplane';
import type { Context } from 'koa';
import type { GrantOperations } from './operations.js';

/**
 * Whether a state-changing request comes from a page of this server's own origin (or the user typed it). Fetch
 * Metadata decides when the browser sent it (`Sec-Fetch-Site`: `same-origin`, or `none` for a request the user
 * made); otherwise `Origin` must be the issuer's origin. A request with neither is refused: every browser sends at
 * least one of them with a DELETE, and a script outside a browser can send `Origin` itself.
 */
export function sameOriginRequest(ctx: Context, issuerOrigin: string): boolean {
  const site = ctx.get('sec-fetch-site');
  if (site) return site === 'same-origin' || site === 'none';
  const origin = ctx.get('origin');
  return origin !== '' && origin === issuerOrigin;
}

const unauthorized = () => new ProblemError(401, 'Unauthorized', 'sign in first: this needs the session of a signed-in user');

export function registerConnectionRoutes(api: RegisterApi, operations: GrantOperations, interactions: Services['interactions']): void {
  const issuerOrigin = new URL(api.config.server.issuer).origin;

  api.route('public', 'GET', '/connections', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const userId = await interactions.signedInUser(ctx);
    if (!userId) throw unauthorized();
    ctx.body = { connections: await operations.connections(userId) };
  });

  api.route('public', 'DELETE', '/connections/:provider', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (!sameOriginRequest(ctx, issuerOrigin)) {
      throw new ProblemError(403, 'Forbidden', `cross-site request refused: send it from ${issuerOrigin} (Sec-Fetch-Site: same-origin, or Origin: ${issuerOrigin})`);
    }
    const userId = await interactions.signedInUser(ctx);
    if (!userId) throw unauthorized();
    const actor = { actor_id: userId, ip: ctx.state.clientIp as string, request_id: ctx.state.requestId as string };
    await operations.revoke(userId, ctx.params.provider as string, actor, 'user');
    ctx.status = 204;
  });
}
