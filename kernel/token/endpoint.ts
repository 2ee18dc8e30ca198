import type { Context } from 'koa';
import type { RequestInfo, TokenContext } from '../contracts.js';
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../errors.js';
import type { HookCatalog, RegistryCatalog } from '../hooks.js';
import { readForm } from '../http/body.js';
import { sendJson } from '../http/json.js';
import type { Metrics } from '../observe/metrics.js';
import type { AuthenticateClient } from './client-auth.js';

/** The issuer's origin, parsed once per issuer string rather than once per request. */
const origins = new Map<string, string>();

export function requestInfo(ctx: Context, issuer: string): RequestInfo {
  let origin = origins.get(issuer);
  if (origin === undefined) {
    origin = new URL(issuer).origin;
    origins.set(issuer, origin);
  }
  return {
    method: ctx.method,
    // Behind a proxy the socket's scheme and host are not what the client used; the issuer's origin is.
    url: `${origin}${ctx.path}`,
    ip: ctx.state.clientIp as string,
    headers: ctx.headers,
    requestId: ctx.state.requestId as string,
  };
}

/**
 * `POST /oauth/token` (RFC 6749 §3.2): parse → authenticate the client → `tokenRequest` taps → the grant type's
 * `grantRequest` taps → its handler → `tokenResponse` taps. Grants are composed in from the `grantTypes` registry.
 */
export function createTokenEndpoint(deps: {
  issuer: string;
  hooks: HookCatalog;
  registries: RegistryCatalog;
  metrics: Metrics;
  authenticate: AuthenticateClient;
}) {
  const { hooks, registries, issuer, authenticate } = deps;
  const issued = deps.metrics.counter({
    name: 'authserver_tokens_issued_total',
    help: 'Access tokens issued at the token endpoint, by grant type',
    labelNames: ['grant_type'] as const,
  });
  const requestTapped = hooks.tokenRequest.isUsed();
  const responseTapped = hooks.tokenResponse.isUsed();
  return async (ctx: Context): Promise<void> => {
    const params = readForm(ctx);
    const request = requestInfo(ctx, issuer);
    const { client, credentials } = await authenticate(request, params);
    const grantType = params.grant_type;
    if (!grantType) throw new InvalidRequest('grant_type is required');
    const grant = registries.grantTypes.get(grantType);
    if (!grant) throw new UnsupportedGrantType(`grant_type '${grantType}' is not supported`);
    if (!client.grant_types.includes(grantType)) {
      throw new UnauthorizedClient(`client is not allowed to use grant_type '${grantType}'`);
    }
    if (credentials.method === 'none' && grant.allowPublicClients === false) {
      throw new UnauthorizedClient(`grant_type '${grantType}' requires a confidential client`);
    }
    for (const name of grant.requiredParams ?? []) {
      if (params[name] === undefined) throw new InvalidRequest(`${name} is required`);
    }
    const tokenCtx: TokenContext = { request, params, grantType, client, credentials, state: {}, responseHeaders: {} };
    if (requestTapped) await hooks.tokenRequest.promise(tokenCtx);
    const perGrant = hooks.grantRequest.get(grantType);
    if (perGrant?.isUsed()) await perGrant.promise(tokenCtx);
    let body = await grant.handle(tokenCtx);
    if (responseTapped) body = hooks.tokenResponse.call(body, tokenCtx);
    issued.inc({ grant_type: grantType });
    // RFC 6749 §5.1: token responses must not be cached.
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    for (const [name, value] of Object.entries(tokenCtx.responseHeaders)) ctx.set(name, value);
    sendJson(ctx, body);
  };
}
