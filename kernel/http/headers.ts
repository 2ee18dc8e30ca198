import type { Middleware } from 'koa';
import type { CorsHeaderLists } from './routes.js';

/** Default CSP for JSON and anything not rendered as a page: nothing may load, nothing may frame us. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The headers every response carries, as a flat [name, value, …] list (node's raw header form). */
export function securityHeaderList(options: { hsts: boolean }): string[] {
  return [
    'X-Content-Type-Options', 'nosniff',
    'X-Frame-Options', 'DENY',
    'Referrer-Policy', 'no-referrer',
    'Content-Security-Policy', API_CSP,
    'Cross-Origin-Opener-Policy', 'same-origin',
    ...(options.hsts ? ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] : []),
  ];
}

export function securityHeaders(options: { hsts: boolean }): Middleware {
  const list = securityHeaderList(options);
  return (ctx, next) => {
    // Straight on the node response: nothing is sent yet, and koa's setter adds only checks these constants pass.
    const res = ctx.res;
    for (let i = 0; i < list.length; i += 2) res.setHeader(list[i]!, list[i + 1]!);
    return next();
  };
}

const CORS_PREFIXES = ['/oauth/', '/.well-known/'];

/**
 * CORS for browser-based clients on the OAuth and discovery endpoints only, from `server.allowedOrigins`.
 * Credentials are never allowed: these endpoints authenticate with explicit parameters, not cookies. Which headers
 * a client may send and read are the kernel's and those plugins added (`api.corsHeaders`, kernel/http/routes.ts).
 */
export function cors(allowedOrigins: readonly string[], extraPaths: ReadonlySet<string>, headers: CorsHeaderLists): Middleware {
  const any = allowedOrigins.includes('*');
  const origins = new Set(allowedOrigins);
  return async (ctx, next) => {
    const origin = ctx.get('origin');
    const applies = CORS_PREFIXES.some((p) => ctx.path.startsWith(p)) || extraPaths.has(ctx.path);
    if (!origin || !applies) return next();
    ctx.vary('Origin');
    if (!any && !origins.has(origin)) return next();
    ctx.set('Access-Control-Allow-Origin', any ? '*' : origin);
    ctx.set('Access-Control-Expose-Headers', headers.expose);
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', headers.allow);
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
  };
}
