/**
 * @authplane/sdk/hono: AuthPlane tokens on any Hono route (Node via @hono/node-server, Bun, Deno, workers).
 *
 *   const auth = createHonoAuth({ issuer: 'http://localhost:9000', resource: 'http://localhost:3000/mcp', scopes: ['notes/read'] });
 *   const app = new Hono<{ Variables: AuthplaneVariables }>();
 *   app.get(auth.prm.path, auth.metadata);
 *   app.post('/mcp', auth.protect(), (c) => … c.get('auth') …);      // the verified token (MCP SDK AuthInfo)
 *   app.post('/admin', auth.protect('notes/admin'), handler);        // 403 insufficient_scope step-up without it
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { VerifiedToken } from '../access-token.js';
import { DEFAULT_MAX_BODY_BYTES, parseJson } from '../node-body.js';
import { asScopeList, createResourceAuth, type AuthResponse, type ResourceAuth, type ResourceAuthOptions, type TokenAuthInfo } from '../resource-auth.js';

export { calledTools, type AuthResponse, type ResourceAuthOptions, type TokenAuthInfo } from '../resource-auth.js';

/** What `protect()` puts on the context: `c.get('auth')`, `c.get('token')`. */
export interface AuthplaneVariables {
  /** The token as the MCP SDK's transports take it (`handleRequest(req, { authInfo })`). */
  auth: TokenAuthInfo;
  /** The verified token with `sub`, `claims` and `jkt`. */
  token: VerifiedToken;
}

export interface ProtectOptions {
  /** Scopes this route needs besides the base `scopes`. */
  scopes?: string | readonly string[];
  /** Ask AuthPlane whether the token is still active (needs the `introspection` option). */
  introspect?: boolean;
}

export interface HonoAuthOptions extends ResourceAuthOptions {
  /** Bodies read here (for `toolScopes`) larger than this get 413 (default 4 MiB). */
  maxBodyBytes?: number;
}

export interface HonoAuth extends ResourceAuth {
  /** The Protected Resource Metadata document: mount it at `prm.path` (`app.get(auth.prm.path, auth.metadata)`). */
  metadata: (c: Context) => Response;
  /** Verifies the request's token (and the route's scopes); sets `auth` and `token`, or answers 401/403/503. */
  protect(options?: string | readonly string[] | ProtectOptions): MiddlewareHandler<{ Variables: AuthplaneVariables }>;
}

const answer = (a: AuthResponse) => new Response(JSON.stringify(a.body), { status: a.status, headers: a.headers });

export function createHonoAuth(options: HonoAuthOptions): HonoAuth {
  const auth = createResourceAuth(options);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const needsBody = Object.keys(options.toolScopes ?? {}).length > 0 || Array.isArray(options.introspect);

  return {
    ...auth,
    metadata(c) {
      // Answers GET, HEAD and the CORS preflight at the document's path (mount it with app.on or app.all for the last two).
      return auth.prm.fetch(c.req.raw) ?? new Response(null, { status: 404 });
    },
    protect(routeOptions) {
      const opts: ProtectOptions = typeof routeOptions === 'string' || Array.isArray(routeOptions) ? { scopes: routeOptions as string | string[] } : ((routeOptions as ProtectOptions) ?? {});
      const routeScopes = asScopeList(opts.scopes);
      return async (c, next) => {
        let body: unknown;
        if (needsBody && c.req.method === 'POST') {
          // A clone: the route handler (or the MCP transport) still reads the original body.
          const bytes = new Uint8Array(await c.req.raw.clone().arrayBuffer());
          if (bytes.byteLength > maxBody) return c.json({ error: 'request_too_large' }, 413);
          body = parseJson(new TextDecoder().decode(bytes));
        }
        const result = await auth.check({ method: c.req.method, url: c.req.url, headers: c.req.raw.headers }, { requiredScopes: routeScopes, body, introspect: opts.introspect });
        if (!result.ok) return answer(result.response);
        c.set('token', result.token);
        c.set('auth', auth.authInfo(result.token));
        await next();
      };
    },
  };
}
