import type { Context } from 'koa';
import type {
  AuditBus,
  AuditInput,
  Client,
  FormParams,
  GrantContext,
  GrantResult,
  GrantTokenInput,
  IssuedAccessToken,
  PresentedCredentials,
  RequestInfo,
  TokenResponseBody,
  UpstreamTokenInput,
  VendedToken,
} from '../contracts.js';
import { InvalidRequest, ServerError, UnauthorizedClient, UnsupportedGrantType } from '../errors.js';
import type { HookCatalog, RegistryCatalog } from '../hooks.js';
import { readForm } from '../http/body.js';
import { sendJson } from '../http/json.js';
import type { Metrics } from '../observe/metrics.js';
import type { AuthenticateClient } from './client-auth.js';
import type { AccessTokenIssuer } from './issuer.js';
import { keepVended, makeVendedToken, vendedAnswer } from './vended.js';

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

/** The token endpoint's metrics; declared when the route is registered, so the registry lists them before any request. */
export function tokenMetrics(metrics: Metrics) {
  return {
    issued: metrics.counter({
      name: 'authserver_tokens_issued_total',
      help: 'Access tokens issued at the token endpoint, by grant type',
      labelNames: ['grant_type'] as const,
    }),
    vended: metrics.counter({
      name: 'authserver_tokens_vended_total',
      help: 'Upstream providers\' access tokens answered at the token endpoint (not signed here), by grant type and provider',
      labelNames: ['grant_type', 'provider'] as const,
    }),
  };
}

/**
 * `POST /oauth/token` (RFC 6749 §3.2): parse → authenticate the client → `tokenRequest` taps → the grant type's
 * `grantRequest` taps → its handler, which issues through its context → `tokenResponse` taps. Grants are composed
 * in from the `grantTypes` registry; the response, the audit event and the metric are the kernel's.
 */
export function createTokenEndpoint(deps: {
  issuer: string;
  hooks: HookCatalog;
  registries: RegistryCatalog;
  metrics: Metrics;
  authenticate: AuthenticateClient;
  tokens: AccessTokenIssuer;
  audit: AuditBus;
}) {
  const { hooks, registries, issuer, authenticate, tokens, audit } = deps;
  const { issued, vended: vendedCount } = tokenMetrics(deps.metrics);
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
    const grantCtx = new IssuingContext(request, params, grantType, client, credentials, grant.tokenTtl, tokens);
    if (requestTapped) await hooks.tokenRequest.promise(grantCtx);
    const perGrant = hooks.grantRequest.get(grantType);
    if (perGrant?.isUsed()) await perGrant.promise(grantCtx);
    const result = await grant.handle(grantCtx);
    const vended = grantCtx.vendedToken;
    if (vended !== undefined) {
      const answer = vendedAnswer(vended, result, grantType, registries.grantTypes.owner(grantType));
      let body = answer.body;
      if (result.extra) addExtra(body, result.extra, grantType);
      if (responseTapped) body = keepVended(hooks.tokenResponse.call(body, grantCtx), vended, grantType);
      vendedCount.inc({ grant_type: grantType, provider: vended.provider });
      audit.emit(auditInput(request, client, result, 'upstream_token_issued', { grant_type: grantType, ...answer.detail }));
      return respond(ctx, grantCtx, body);
    }
    const { token, input } = grantCtx.issued ?? {};
    if (token === undefined || input === undefined || result?.accessToken !== token) {
      // A grant that answers with a token it did not issue through its context would skip the request's binding.
      throw new ServerError('the grant did not issue an access token', {
        cause: new Error(
          `grant type '${grantType}' of plugin '${registries.grantTypes.owner(grantType)}' returned ` +
            (token === undefined
              ? 'without calling ctx.issueAccessToken or ctx.vendUpstreamToken'
              : 'an accessToken other than the one ctx.issueAccessToken issued for this request'),
        ),
      });
    }
    let body: TokenResponseBody = {
      access_token: token.token,
      token_type: 'Bearer',
      expires_in: token.expiresAt - token.issuedAt,
      scope: input.scope,
    };
    if (result.refreshToken !== undefined) body.refresh_token = result.refreshToken;
    if (result.extra) addExtra(body, result.extra, grantType);
    if (responseTapped) body = hooks.tokenResponse.call(body, grantCtx);
    issued.inc({ grant_type: grantType });
    audit.emit(
      auditInput(request, client, result, 'token_issued', {
        grant_type: grantType,
        jti: token.jti,
        audience: input.audience,
        scope: input.scope,
        ...result.audit?.detail,
      }),
    );
    respond(ctx, grantCtx, body);
  };
}

/**
 * The token's audit event, one literal with every member written out. Not `{ ...base, action, detail }`: on Node 20's
 * V8 an object spread followed by more members gives every object a hidden class of its own, so each token request
 * made a new map and its event was promoted into the old generation — nearly all that a token request promoted, and
 * the cause of the major collections under token load (docs/performance.md, "A hidden class per object").
 */
function auditInput(request: RequestInfo, client: Client, result: GrantResult, action: string, detail: Record<string, unknown>): AuditInput {
  return {
    action: result.audit?.action ?? action,
    actor_id: client.client_id,
    client_id: client.client_id,
    user_id: result.audit?.userId,
    ip: request.ip,
    request_id: request.requestId,
    detail,
  };
}

function respond(ctx: Context, grantCtx: IssuingContext, body: TokenResponseBody): void {
  // RFC 6749 §5.1: token responses must not be cached.
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  for (const [name, value] of Object.entries(grantCtx.responseHeaders)) ctx.set(name, value);
  sendJson(ctx, body);
}

/** Members of the token response the kernel writes itself; a grant's `extra` cannot replace them. */
const KERNEL_MEMBERS = new Set(['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token']);

function addExtra(body: TokenResponseBody, extra: Record<string, unknown>, grantType: string): void {
  for (const [name, value] of Object.entries(extra)) {
    if (KERNEL_MEMBERS.has(name)) {
      throw new ServerError('the grant produced an invalid token response', {
        cause: new Error(`grant type '${grantType}' set '${name}' in extra; the kernel writes that member (return refreshToken for refresh_token)`),
      });
    }
    body[name] = value;
  }
}

/**
 * The token request as the hooks and the grant see it. One object per request: the taps' `state` and
 * `responseHeaders` are the grant's, and `issueAccessToken` completes the grant's input from the request, so no
 * grant can issue without the binding the taps prepared (a DPoP proof's thumbprint becomes `cnf.jkt`).
 */
class IssuingContext implements GrantContext<string> {
  readonly state: Record<string, unknown> = {};
  readonly responseHeaders: Record<string, string> = {};
  readonly #tokenTtl: number;
  readonly #tokens: AccessTokenIssuer;
  #answering: 'ctx.issueAccessToken' | 'ctx.vendUpstreamToken' | undefined;
  #issued: { token: IssuedAccessToken; input: GrantTokenInput } | undefined;
  #vended: VendedToken | undefined;

  constructor(
    readonly request: RequestInfo,
    readonly params: FormParams,
    readonly grantType: string,
    readonly client: Client,
    readonly credentials: PresentedCredentials,
    tokenTtl: number,
    tokens: AccessTokenIssuer,
  ) {
    this.#tokenTtl = tokenTtl;
    this.#tokens = tokens;
  }

  /** The token issued for this request and what the grant asked for (the response's `scope`, the audit detail). */
  get issued() {
    return this.#issued;
  }

  /** The upstream token the grant answers with, if it vended one. */
  get vendedToken(): VendedToken | undefined {
    return this.#vended;
  }

  get vended(): boolean {
    return this.#vended !== undefined;
  }

  /** One access token per request, whichever way: a second call of either is the grant's bug, never a response. */
  #answerOnce(how: 'ctx.issueAccessToken' | 'ctx.vendUpstreamToken'): void {
    if (this.#answering !== undefined) {
      throw new ServerError('the grant issued more than one access token', {
        cause: new Error(
          this.#answering === how
            ? `grant type '${this.grantType}' called ${how} twice for one request`
            : `grant type '${this.grantType}' called ${how} after ${this.#answering} for one request`,
        ),
      });
    }
    this.#answering = how;
  }

  vendUpstreamToken(input: UpstreamTokenInput): VendedToken {
    this.#answerOnce('ctx.vendUpstreamToken');
    this.#vended = makeVendedToken(input, this.grantType);
    return this.#vended;
  }

  async issueAccessToken(input: GrantTokenInput): Promise<IssuedAccessToken> {
    this.#answerOnce('ctx.issueAccessToken');
    const ttl = input.ttl ?? this.#tokenTtl;
    if (!(Number.isInteger(ttl) && ttl > 0 && ttl <= this.#tokenTtl)) {
      throw new ServerError('token lifetime is not configured correctly', {
        cause: new Error(`grant type '${this.grantType}' asked for ttl ${ttl}s; its tokenTtl allows 1..${this.#tokenTtl}s`),
      });
    }
    const token = await this.#tokens.issueAccessToken({
      subject: input.subject,
      clientId: this.client.client_id,
      audience: input.audience,
      scope: input.scope,
      ttl,
      grantType: this.grantType,
      claims: input.claims,
      tokenContext: this,
      parentJti: input.parentJti,
      grantRef: input.grantRef,
    });
    this.#issued = { token, input };
    return token;
  }
}
