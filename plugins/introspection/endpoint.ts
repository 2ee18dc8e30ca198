import type { Context } from 'koa';
import { InvalidClient, InvalidRequest, readForm, requestInfo, sendJson, type RuntimeApi, type TokenInfo } from 'authplane';
import type { Counter } from 'prom-client';
import { mayIntrospect } from './ownership.js';

/** RFC 7662 §2.2: the whole answer for a token that is not active, or not the caller's to know about. */
const INACTIVE = Object.freeze({ active: false });

/** RFC 7662 §2.2 members an active response carries, in this order. */
const MEMBERS = ['active', 'scope', 'client_id', 'sub', 'aud', 'iss', 'exp', 'iat', 'jti', 'token_type', 'cnf', 'act', 'agent_id', 'agent_chain'] as const;

function responseBody(info: TokenInfo): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const member of MEMBERS) if (info[member] !== undefined) body[member] = info[member];
  return body;
}

/**
 * `POST /oauth/introspect` (RFC 7662): confidential client authentication (§2.1: the endpoint must be protected),
 * then the `introspectToken` taps (this plugin: our JWTs; oauth: refresh tokens), the ownership rule, and the
 * `introspectionResponse` waterfall for active tokens.
 */
export function introspectionEndpoint(runtime: () => RuntimeApi, outcomes: Counter<'result'>) {
  return async (ctx: Context): Promise<void> => {
    const rt = runtime();
    const params = readForm(ctx);
    const { client, credentials } = await rt.authenticateClient(requestInfo(ctx, rt.config.server.issuer), params);
    // A public client's client_id is no secret: anyone could introspect as it.
    if (credentials.method === 'none') throw new InvalidClient('introspection requires a confidential client');
    const token = params.token;
    if (token === undefined) throw new InvalidRequest('token is required');

    const hint = params.token_type_hint;
    let info = await rt.hooks.introspectToken.promise(token, hint, client);
    // §2.1: a hint that does not find the token only narrows the first search; then every token type is tried.
    if (info === undefined && hint !== undefined) info = await rt.hooks.introspectToken.promise(token, undefined, client);
    // The taps check expiry; this second look costs nothing and keeps a tap's slip from reporting a dead token.
    const live = info?.active === true && !(typeof info.exp === 'number' && info.exp <= rt.now() / 1000);
    let body: Record<string, unknown> = INACTIVE;
    if (info && live && (await mayIntrospect(client, info, rt.use('resources'), rt.config.server.issuer))) {
      body = responseBody(info);
      if (rt.hooks.introspectionResponse.isUsed()) body = rt.hooks.introspectionResponse.call(body, info);
    }
    outcomes.inc({ result: body.active === true ? 'active' : 'inactive' });
    // RFC 7662 §2.2 / RFC 6749 §5.1: the answer describes a credential and must not be cached.
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    sendJson(ctx, body);
  };
}
