import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { CONSENT_REQUIRED_TYPE, ConsentRequired, OAuthError, PageError, ProblemError } from '../errors.js';
import { PAGE_CSP, renderErrorPage } from './page.js';
import { isDatabaseUnavailable } from '../storage/unavailable.js';

export type ErrorStyle = 'oauth' | 'problem' | 'page';

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The OAuth code closest to an HTTP status, for problems raised on an OAuth endpoint. */
function oauthCodeFor(status: number): string {
  if (status === 401) return 'invalid_client';
  if (status === 429) return 'slow_down';
  if (status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}

interface Normalized {
  status: number;
  code: string;
  title: string;
  detail: string;
  headers: Record<string, string>;
  extra: Record<string, unknown>;
  type: string;
  /** Answered as problem details carrying the OAuth members too, whatever the route's style (consent_required). */
  both?: boolean;
}

function normalize(err: unknown): Normalized | undefined {
  if (err instanceof ConsentRequired) {
    return {
      status: err.status,
      code: err.error,
      title: 'Consent required',
      detail: err.message,
      headers: err.headers,
      extra: { consent_url: err.consentUrl, cause: err.consentCause },
      type: CONSENT_REQUIRED_TYPE,
      both: true,
    };
  }
  if (err instanceof OAuthError) {
    return {
      status: err.status,
      code: err.error,
      title: STATUS_TITLES[err.status] ?? err.error,
      detail: err.message,
      headers: err.headers,
      extra: {},
      type: 'about:blank',
    };
  }
  if (err instanceof ProblemError || err instanceof PageError) {
    return {
      status: err.status,
      code: oauthCodeFor(err.status),
      title: err.title,
      detail: err.message,
      headers: err.headers,
      extra: err instanceof ProblemError ? err.extra : {},
      type: err instanceof ProblemError ? err.type : 'about:blank',
    };
  }
  // http-errors from koa itself (e.g. ctx.throw, a malformed request) that are safe to show.
  const e = err as { status?: number; expose?: boolean; message?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    return {
      status: e.status,
      code: oauthCodeFor(e.status),
      title: STATUS_TITLES[e.status] ?? 'Error',
      detail: e.message ?? 'bad request',
      headers: {},
      extra: {},
      type: 'about:blank',
    };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      status: 503,
      code: 'temporarily_unavailable',
      title: STATUS_TITLES[503]!,
      detail: 'the database is unavailable; try again shortly',
      // RFC 9110 §10.2.3: a restart or failover usually takes seconds.
      headers: { 'Retry-After': '2' },
      extra: {},
      type: 'about:blank',
    };
  }
  return undefined;
}

export function writeError(ctx: Context, err: unknown, style: ErrorStyle, log: Logger): void {
  let n = normalize(err);
  if (!n) {
    log.error({ err, request_id: ctx.state.requestId }, 'unhandled error');
    n = {
      status: 500,
      code: 'server_error',
      title: 'Internal Server Error',
      detail: 'the server could not complete the request',
      headers: {},
      extra: {},
      type: 'about:blank',
    };
  } else if (n.status >= 500) {
    log.error({ err, request_id: ctx.state.requestId }, 'request failed');
  }
  ctx.status = n.status;
  for (const [name, value] of Object.entries(n.headers)) ctx.set(name, value);
  if (n.both && style !== 'page') {
    // One document for OAuth clients and problem-details clients alike: RFC 6749 §5.2 members, then RFC 9457's.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: n.code, error_description: n.detail, ...n.extra, type: n.type, title: n.title, detail: n.detail, status: n.status };
    ctx.type = 'application/problem+json';
  } else if (style === 'oauth') {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: n.code, error_description: n.detail };
  } else if (style === 'page') {
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = renderErrorPage(n.status, n.title, n.detail, ctx.state.requestId as string);
  } else {
    ctx.body = { type: n.type, title: n.title, status: n.status, detail: n.detail, ...n.extra };
    ctx.type = 'application/problem+json';
  }
}

/** One error boundary per listener; handlers throw, this writes. A stack trace never reaches a response. */
export function errorBoundary(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      writeError(ctx, err, (ctx.state.errorStyle as ErrorStyle | undefined) ?? 'problem', log);
    }
  };
}
