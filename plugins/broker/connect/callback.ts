/**
 * `GET /connect/{provider}/callback?code&state` (or `?error&state`): the end of a connect (RFC 6749 §4.1.2). The
 * state must be one this server sealed for this provider, not expired, from this browser (its nonce cookie) and for
 * the user signed in here; then the code is exchanged (§4.1.3, with the PKCE verifier), the grant is saved
 * encrypted (a new version for a user who connected before) and the browser goes back to the return URL.
 */
import type { Context } from 'koa';
import { PageError, PluginError } from 'authplane';
import { BrokerKeyError } from '../crypto/local-box.js';
import type { OAuthProvider, UpstreamTokens } from '../types.js';
import { UpstreamError, type UpstreamFailure } from '../upstream-error.js';
import type { ConnectDeps } from './deps.js';
import { connectFailedPage, connectedPage, sendPage } from './pages.js';
import { connectProvider, connectQuery } from './start.js';
import { ConnectStateError, nonceMatches, openState, type ConnectState } from './state.js';

const NO_STORE = { headers: { 'Cache-Control': 'no-store' } };
const START_AGAIN = 'Start again from the application.';
/** An upstream error code shown on a page: RFC 6749 §4.1.2.1 codes are of this shape; anything else is not shown. */
const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

const auditBase = (ctx: Context) => ({ ip: ctx.state.clientIp as string, request_id: ctx.state.requestId as string });

/** What a person is told when the token endpoint failed: by reason, never the upstream's own words. */
function exchangeFailure(provider: OAuthProvider, reason: UpstreamFailure): string {
  const name = provider.display_name;
  switch (reason) {
    case 'invalid_grant':
      return `${name} did not accept the authorization (it expired or was already used). ${START_AGAIN}`;
    case 'invalid_client':
    case 'misconfigured':
      return `This server's registration with ${name} is not set up correctly; tell its operator.`;
    case 'timeout':
    case 'network':
    case 'refused_address':
    case 'too_large':
      return `${name} could not be reached. Try again later.`;
    default:
      return `${name} answered with an error. Try again later, or tell the operator if it persists.`;
  }
}

/** The box itself failed (Vault unreachable): nothing the person can fix. */
function unavailable(cause: unknown): PageError {
  return new PageError(503, 'Cannot connect right now', 'The account could not be connected right now. Try again later.', { ...NO_STORE, cause });
}

async function verifiedState(deps: ConnectDeps, ctx: Context, provider: OAuthProvider, raw: string | undefined): Promise<ConnectState> {
  if (!raw) throw new PageError(400, 'Cannot connect', `The answer from ${provider.display_name} carries no state. ${START_AGAIN}`, NO_STORE);
  let state: ConnectState;
  try {
    state = await openState(deps.box(), provider.slug, raw);
  } catch (err) {
    if (err instanceof ConnectStateError) {
      throw new PageError(400, 'Cannot connect', `This connection request is not valid: it was altered or made elsewhere. ${START_AGAIN}`, { ...NO_STORE, cause: err });
    }
    throw unavailable(err);
  }
  if (state.providerId !== provider.id) {
    throw new PageError(400, 'Cannot connect', `This connection request was made for another provider. ${START_AGAIN}`, NO_STORE);
  }
  if (state.expiresAt <= deps.now()) {
    deps.nonces.clear(ctx, provider.slug);
    throw new PageError(400, 'Connection request expired', `This connection request has expired. ${START_AGAIN}`, NO_STORE);
  }
  if (!nonceMatches(state.nonce, deps.nonces.read(ctx, provider.slug))) {
    throw new PageError(
      403,
      'Cannot connect',
      `This connection was not started in this browser, or it was already completed. ${START_AGAIN}`,
      NO_STORE,
    );
  }
  deps.nonces.clear(ctx, provider.slug);
  const userId = await deps.interactions.signedInUser(ctx);
  if (userId !== state.userId) {
    const message = userId
      ? 'This connection was started by another account than the one signed in now; nothing was connected.'
      : `You are no longer signed in; nothing was connected. ${START_AGAIN}`;
    throw new PageError(403, 'Cannot connect', message, NO_STORE);
  }
  return state;
}

export function connectCallback(deps: ConnectDeps) {
  return async (ctx: Context): Promise<void> => {
    const params = connectQuery(ctx);
    const provider = await connectProvider(deps, ctx.params.provider as string);
    const state = await verifiedState(deps, ctx, provider, params.state);
    const runtime = deps.runtime();
    const requestId = ctx.state.requestId as string;
    const failed = (reason: string, extra: Record<string, unknown> = {}) =>
      runtime.audit.emit({
        action: 'broker_connect_failed',
        actor_id: state.userId,
        user_id: state.userId,
        ...auditBase(ctx),
        detail: { provider: provider.slug, provider_id: provider.id, resource: state.resourceSlug, reason, ...extra },
      });

    if (params.error !== undefined) {
      // RFC 6749 §4.1.2.1: the person said no at the provider, or it refused the request.
      const code = ERROR_CODE.test(params.error) ? params.error : 'invalid_response';
      failed('upstream_refused', { upstream_error: code });
      ctx.set('Cache-Control', 'no-store');
      if (code === 'access_denied' && state.returnUrl) {
        const back = new URL(state.returnUrl);
        back.searchParams.set('error', 'access_denied');
        return ctx.redirect(back.toString());
      }
      const message =
        code === 'access_denied'
          ? `Access to your ${provider.display_name} account was not granted; nothing was connected.`
          : `${provider.display_name} refused the request (${code}); nothing was connected.`;
      return sendPage(ctx, code === 'access_denied' ? 403 : 502, connectFailedPage('Not connected', message, requestId, state.returnUrl));
    }
    if (!params.code) {
      throw new PageError(400, 'Cannot connect', `The answer from ${provider.display_name} carries no authorization code. ${START_AGAIN}`, NO_STORE);
    }

    let tokens: UpstreamTokens;
    try {
      tokens = await deps.upstream.exchangeCode(provider, {
        code: params.code,
        redirectUri: deps.callbackUrl(provider.slug),
        scopes: state.upstreamScopes,
        ...(state.codeVerifier ? { codeVerifier: state.codeVerifier } : {}),
      });
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      // The message quotes the upstream with every secret, code and verifier sent replaced by [redacted].
      runtime.log.warn(
        { provider: provider.slug, reason: err.reason, status: err.status, upstream_error: err.upstreamError, request_id: requestId },
        `connect: ${err.message}`,
      );
      failed('exchange_failed', { upstream_reason: err.reason });
      return sendPage(ctx, 502, connectFailedPage('Not connected', exchangeFailure(provider, err.reason), requestId, state.returnUrl));
    }

    let version: number;
    try {
      version = (await deps.grants.save(state.userId, provider.id, tokens)).version;
    } catch (err) {
      // The box's own failures (Vault unreachable or refusing) are the broker's coded errors; anything else is a bug:
      // a 500 with its stack in the log.
      if (err instanceof BrokerKeyError || err instanceof PluginError) throw unavailable(err);
      throw err;
    }
    runtime.audit.emit({
      action: 'broker_grant_updated',
      actor_id: state.userId,
      user_id: state.userId,
      ...auditBase(ctx),
      detail: {
        provider: provider.slug,
        provider_id: provider.id,
        resource: state.resourceSlug,
        scopes: tokens.scopes,
        version,
        has_refresh_token: tokens.refresh_token !== undefined,
        reason: 'connect',
      },
    });
    ctx.set('Cache-Control', 'no-store');
    if (state.returnUrl) return ctx.redirect(state.returnUrl);
    const resource = await deps.resources().get(state.resourceId);
    sendPage(ctx, 200, connectedPage(provider.display_name, resource?.display_name ?? state.resourceSlug, tokens.scopes));
  };
}
