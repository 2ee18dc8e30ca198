import type { Context } from 'koa';
import type { Counter } from 'prom-client';
import { PAGE_CSP, type RegisterApi, type RuntimeApi } from 'authplane';
import { AuthorizationCodes } from './codes.js';
import { Consents } from './consents.js';
import { LoginLockout } from './lockout.js';
import { RefreshTokens } from './refresh-tokens.js';
import type { OAuthOptions } from './schema.js';
import { Sessions } from './session.js';

/** What the oauth plugin's endpoints share: its stores (built once the database exists), options and metrics. */
export interface OAuthState {
  options: Readonly<OAuthOptions>;
  runtime: () => RuntimeApi;
  sessions: () => Sessions;
  codes: () => AuthorizationCodes;
  refresh: () => RefreshTokens;
  consents: () => Consents;
  lockout: () => LoginLockout;
  denied: Counter<'reason'>;
  reuse: Counter;
  decisions: Counter<'decision'>;
}

export function createOAuthState(api: RegisterApi, options: Readonly<OAuthOptions>, sessionSecret: string): OAuthState {
  const runtime = api.runtime;
  const db = () => runtime().db;
  const once = <T>(make: () => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  return {
    options,
    runtime,
    sessions: once(() => new Sessions(sessionSecret, api.config.server.issuer, options.sessionTtl, db)),
    codes: once(() => new AuthorizationCodes(db, options.codeTtl)),
    refresh: once(() => new RefreshTokens(db, options.refreshTokenTtl)),
    consents: once(() => new Consents(db)),
    lockout: once(() => new LoginLockout(db, options.login)),
    denied: api.metrics.counter({
      name: 'authserver_auth_denied_total',
      help: 'Requests denied, by reason',
      labelNames: ['reason'] as const,
    }),
    reuse: api.metrics.counter({
      name: 'authserver_refresh_token_reuse_total',
      help: 'Consumed refresh tokens presented again outside the grace window (their family is revoked)',
    }),
    decisions: api.metrics.counter({
      name: 'authserver_consent_decisions_total',
      help: 'Consent screen decisions, by decision',
      labelNames: ['decision'] as const,
    }),
  };
}

/**
 * The CSP source of where a form's answer may end up redirecting: the origin of a client's redirect URI (or its
 * private-use scheme). Browsers apply `form-action` to every redirect after a form is posted, so the consent page's
 * form, and the login form whose answer leads through the authorization endpoint, must allow the client's redirect
 * URI, or `form-action 'self'` stops the browser on its way back to the client.
 */
export function redirectSource(redirectUri: string | undefined): string | undefined {
  if (!redirectUri) return undefined;
  try {
    const url = new URL(redirectUri);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
  } catch {
    return undefined;
  }
}

/** The redirect URI an authorize or consent URL we return to carries, as a CSP source. */
export function returnToSource(returnTo: string | undefined): string | undefined {
  if (!returnTo) return undefined;
  try {
    return redirectSource(new URL(returnTo, 'http://return.invalid').searchParams.get('redirect_uri') ?? undefined);
  } catch {
    return undefined;
  }
}

/** Writes a server-rendered page: the kernel's page CSP (its forms may also lead to `formTarget`), never cached. */
export function sendPage(ctx: Context, status: number, body: string, formTarget?: string): void {
  ctx.status = status;
  ctx.set('Content-Security-Policy', formTarget ? PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${formTarget}`) : PAGE_CSP);
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
}

export function auditBase(ctx: Context) {
  return { ip: ctx.state.clientIp as string, request_id: ctx.state.requestId as string };
}

export function auditFromToken(ctx: import('authplane').TokenContext) {
  return {
    actor_id: ctx.client.client_id,
    client_id: ctx.client.client_id,
    ip: ctx.request.ip,
    request_id: ctx.request.requestId,
  };
}
