import type { Middleware } from 'koa';

/** Default CSP for JSON and anything not rendered as a page: nothing may load, nothing may frame us. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders(options: { hsts: boolean }): Middleware {
  return (ctx, next) => {
    // Straight on the node response: nothing is sent yet, and koa's setter adds only checks these constants pass.
    const res = ctx.res;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Content-Security-Policy', API_CSP);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (options.hsts) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    return next();
  };
}

const CORS_PREFIXES = ['/oauth/', '/.well-known/'];
const ALLOWED_HEADERS = 'Authorization, Content-Type, DPoP, MCP-Protocol-Version, X-Request-ID';
const EXPOSED_HEADERS = 'WWW-Authenticate, DPoP-Nonce, Retry-After, X-Request-ID';

/**
 * CORS for browser-based clients on the OAuth and discovery endpoints only, from `server.allowedOrigins`.
 * Credentials are never allowed: these endpoints authenticate with explicit parameters, not cookies.
 */
export function cors(allowedOrigins: readonly string[], extraPaths: ReadonlySet<string>): Middleware {
  const any = allowedOrigins.includes('*');
  const origins = new Set(allowedOrigins);
  return async (ctx, next) => {
    const origin = ctx.get('origin');
    const applies = CORS_PREFIXES.some((p) => ctx.path.startsWith(p)) || extraPaths.has(ctx.path);
    if (!origin || !applies) return next();
    ctx.vary('Origin');
    if (!any && !origins.has(origin)) return next();
    ctx.set('Access-Control-Allow-Origin', any ? '*' : origin);
    ctx.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
  };
}
