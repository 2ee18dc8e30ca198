import type { Context } from 'koa';
import {
  AccessDenied,
  OAuthError,
  PageError,
  readForm,
  requestInfo,
  type FormParams,
  type RegisterApi,
} from 'authplane';
import type { User } from '../users/types.js';
import {
  RedirectableError,
  validateAuthorizationRequest,
  type AuthorizationRequest,
} from './authorize-request.js';
import { auditBase, redirectSource, sendPage, type OAuthState } from './context.js';
import { isLoopbackUri, withParams } from './redirect.js';
import { consentPage } from './views/consent.js';

/** Form fields of our own that ride along with the authorization parameters on the consent form. */
const CONSENT_FIELDS = new Set(['csrf_token', 'decision']);

function query(params: FormParams): string {
  return new URLSearchParams(params as Record<string, string>).toString();
}

export function registerAuthorize(api: RegisterApi, state: OAuthState): void {
  const warned = new Set<string>();
  const validate = (ctx: Context, params: FormParams) =>
    validateAuthorizationRequest(ctx, params, state.runtime(), {
      requireScope: state.options.requireScope,
      warnAllScopes: (clientId) => {
        if (warned.has(clientId)) return;
        warned.add(clientId);
        api.log.warn({ client_id: clientId, request_id: ctx.state.requestId }, 'authorization request without scope granted every scope of the resource (oauth.requireScope=false)');
      },
    });

  /** RFC 9207: every authorization response, success or error, carries `iss`. */
  const redirectTo = (ctx: Context, uri: string, params: Record<string, string | undefined>, status = 302) => {
    ctx.status = status;
    ctx.redirect(withParams(uri, Object.assign({}, params, { iss: api.config.server.issuer })));
    ctx.status = status;
  };
  const redirectError = (ctx: Context, e: RedirectableError, status = 302) => {
    // A denial is the user's decision, not a failure: it is counted as a consent decision instead.
    if (!(e.error instanceof AccessDenied)) state.denied.inc({ reason: e.error.error });
    redirectTo(ctx, e.redirectUri, { error: e.error.error, error_description: e.error.message, state: e.state }, status);
  };

  /** Validation plus the `authorizeRequest` taps (DPoP `dpop_jkt`, PAR…); their state is kept with the code. */
  const authorize = async (ctx: Context, params: FormParams) => {
    const request = await validate(ctx, params);
    const runtime = state.runtime();
    const hookState: Record<string, unknown> = {};
    if (runtime.hooks.authorizeRequest.isUsed()) {
      try {
        await runtime.hooks.authorizeRequest.promise({
          request: requestInfo(ctx, api.config.server.issuer),
          params,
          client: request.client,
          state: hookState,
        });
      } catch (e) {
        if (e instanceof OAuthError) throw new RedirectableError(request.redirectUri, request.state, e);
        throw e;
      }
    }
    return { request, hookState };
  };

  const currentUser = async (ctx: Context): Promise<{ user: User; authTime: number } | undefined> => {
    const session = await state.sessions().current(ctx);
    if (!session) return undefined;
    const user = await state.runtime().use('users').get(session.userId);
    if (!user || user.status !== 'active') return undefined;
    return { user, authTime: session.expiresAt - state.options.sessionTtl * 1000 };
  };

  const issueCode = async (
    ctx: Context,
    req: AuthorizationRequest,
    user: User,
    authTime: number,
    hookState: Record<string, unknown>,
    status = 302,
  ) => {
    const scope = [...req.scopes, ...(req.offlineAccess ? ['offline_access'] : [])].join(' ');
    const code = await state.codes().issue({
      clientId: req.client.client_id,
      userId: user.id,
      resourceId: req.resource.id,
      redirectUri: req.redirectUri,
      codeChallenge: req.codeChallenge,
      scope,
      authTime,
      extra: { redirect_uri_sent: req.params.redirect_uri !== undefined, hooks: hookState },
    });
    redirectTo(ctx, req.redirectUri, { code, state: req.state }, status);
  };

  const loginRedirect = (ctx: Context, returnTo: string) => {
    ctx.redirect(`/login?${new URLSearchParams({ return_to: returnTo })}`);
  };

  /**
   * One step of the flow (authorize, show consent, answer consent): validate, require a signed-in user (else to
   * /login and back to `returnPath`), then `next`; errors after the redirect URI is verified go back to the client.
   */
  const step = async (
    ctx: Context,
    params: FormParams,
    returnPath: string,
    next: (request: AuthorizationRequest, who: { user: User; authTime: number }, hookState: Record<string, unknown>) => Promise<void>,
    status = 302,
  ) => {
    try {
      const { request, hookState } = await authorize(ctx, params);
      const who = await currentUser(ctx);
      if (!who) return loginRedirect(ctx, `${returnPath}?${query(params)}`);
      await next(request, who, hookState);
    } catch (e) {
      if (e instanceof RedirectableError) return redirectError(ctx, e, status);
      throw e;
    }
  };

  api.route(
    'public',
    'GET',
    '/oauth/authorize',
    async (ctx) => {
      const params = readForm(ctx, { allowQuery: true });
      await step(ctx, params, '/oauth/authorize', async (request, who, hookState) => {
        if (await state.consents().covers(who.user.id, request.client.client_id, request.resource.id, request.scopes)) {
          return issueCode(ctx, request, who.user, who.authTime, hookState);
        }
        ctx.redirect(`/consent?${query(params)}`);
      });
    },
    { errors: 'page' },
  );

  api.route(
    'public',
    'GET',
    '/consent',
    async (ctx) => {
      const params = readForm(ctx, { allowQuery: true });
      await step(ctx, params, '/consent', async (request, who) => {
        const known = new Map(request.resource.scopes.map((s) => [s.name, s]));
        sendPage(
          ctx,
          200,
          consentPage({
            csrf: state.sessions().csrfToken(ctx),
            clientName: request.client.client_name ?? request.client.client_id,
            clientId: request.client.client_id,
            resourceName: request.resource.display_name,
            resourceUri: request.resource.uri,
            scopes: request.scopes.map((name) => known.get(name) ?? { name }),
            offlineAccess: request.offlineAccess,
            redirectHost: new URL(request.redirectUri).host || request.redirectUri,
            loopback: isLoopbackUri(request.redirectUri),
            userEmail: who.user.email,
            params: params as Record<string, string>,
          }),
          redirectSource(request.redirectUri),
        );
      });
    },
    { errors: 'page' },
  );

  api.route(
    'public',
    'POST',
    '/consent',
    async (ctx) => {
      const form = readForm(ctx);
      if (!state.sessions().checkCsrf(ctx, form.csrf_token)) {
        throw new PageError(403, 'Request expired', 'The consent form expired or was not sent by this site. Start again from the application.');
      }
      const params = Object.fromEntries(Object.entries(form).filter(([k]) => !CONSENT_FIELDS.has(k)));
      await step(ctx, params, '/consent', async (request, who, hookState) => {
        const runtime = state.runtime();
        const audit = {
          actor_id: who.user.id,
          user_id: who.user.id,
          client_id: request.client.client_id,
          ...auditBase(ctx),
        };
        if (form.decision !== 'allow') {
          state.decisions.inc({ decision: 'deny' });
          runtime.audit.emit({ action: 'consent_denied', ...audit, detail: { resource: request.resource.uri, scopes: request.scopes } });
          throw new RedirectableError(request.redirectUri, request.state, new AccessDenied('the user denied the request'));
        }
        await state.consents().grant(who.user.id, request.client.client_id, request.resource.id, request.scopes);
        state.decisions.inc({ decision: 'allow' });
        runtime.audit.emit({ action: 'consent_granted', ...audit, detail: { resource: request.resource.uri, scopes: request.scopes } });
        await issueCode(ctx, request, who.user, who.authTime, hookState, 303);
      }, 303);
    },
    { errors: 'page' },
  );

}
