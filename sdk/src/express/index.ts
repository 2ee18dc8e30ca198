/**
 * @authplane/sdk/express: AuthPlane tokens on any Express route (Express 4 or 5).
 *
 *   const auth = createExpressAuth({ issuer: 'http://localhost:9000', resource: 'http://localhost:3000/mcp', scopes: ['notes/read'] });
 *   app.use(auth.metadata);                                        // GET /.well-known/oauth-protected-resource/mcp
 *   app.post('/mcp', express.json(), auth.protect(), mcpHandler);  // req.auth: the verified token (MCP SDK AuthInfo)
 *   app.post('/admin', auth.protect('notes/admin'), handler);      // 403 insufficient_scope step-up without it
 *
 * The types are structural (node's request and response plus the few Express members used), so neither Express
 * nor @types/express is needed to compile against this module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VerifiedToken } from '../access-token.js';
import { BodyTooLargeError, DEFAULT_MAX_BODY_BYTES, parseJson, readNodeBody } from '../node-body.js';
import { asScopeList, createResourceAuth, type AuthResponse, type ResourceAuth, type ResourceAuthOptions, type TokenAuthInfo } from '../resource-auth.js';

export { calledTools, type AuthResponse, type ResourceAuthOptions, type TokenAuthInfo } from '../resource-auth.js';

/** An Express request as far as this module reads and writes it. */
export interface ExpressRequestLike extends IncomingMessage {
  /** Express: the URL before mounting stripped a prefix (what the client signed in a DPoP proof). */
  originalUrl?: string;
  /** Parsed by express.json() when it ran first; read here when `toolScopes` need it and nothing parsed it. */
  body?: unknown;
  /** Set by `protect()`: the verified token as the MCP SDK's transports read it. */
  auth?: TokenAuthInfo;
}

export type ExpressNext = (err?: unknown) => void;
export type ExpressMiddleware = (req: ExpressRequestLike, res: ServerResponse, next: ExpressNext) => void;

export interface ProtectOptions {
  /** Scopes this route needs besides the base `scopes`. */
  scopes?: string | readonly string[];
  /** Ask AuthPlane whether the token is still active (needs the `introspection` option). */
  introspect?: boolean;
}

export interface ExpressAuth extends ResourceAuth {
  /** Serves the Protected Resource Metadata document at its RFC 9728 path; passes every other request on. */
  metadata: ExpressMiddleware;
  /** Verifies the request's token (and the route's scopes); sets `req.auth`, or answers 401/403/503 itself. */
  protect(options?: string | readonly string[] | ProtectOptions): ExpressMiddleware;
}

export interface ExpressAuthOptions extends ResourceAuthOptions {
  /** Bodies read here (for `toolScopes`, when nothing parsed them) larger than this get 413 (default 4 MiB). */
  maxBodyBytes?: number;
}

const tokens = new WeakMap<IncomingMessage, VerifiedToken>();

/** The verified token of a request `protect()` let through (with `sub`, `claims`, `jkt`), or undefined. */
export function tokenOf(req: IncomingMessage): VerifiedToken | undefined {
  return tokens.get(req);
}

function send(res: ServerResponse, answer: AuthResponse): void {
  res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body));
}

export function createExpressAuth(options: ExpressAuthOptions): ExpressAuth {
  const auth = createResourceAuth(options);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const needsBody = Object.keys(options.toolScopes ?? {}).length > 0 || Array.isArray(options.introspect);

  /** The JSON-RPC body, parsed here when the tool scopes need it and no body parser ran before. */
  async function bodyOf(req: ExpressRequestLike): Promise<unknown> {
    if (!needsBody || req.method !== 'POST') return req.body;
    if (req.body !== undefined || req.readableEnded || !/json/i.test(req.headers['content-type'] ?? '')) return req.body;
    const parsed = parseJson((await readNodeBody(req, maxBody)).toString('utf8'));
    // As body-parser leaves it, so a parser mounted after this one (or the MCP transport) does not read again.
    req.body = parsed;
    (req as { _body?: boolean })._body = true;
    return parsed;
  }

  return {
    ...auth,
    metadata(req, res, next) {
      if (!auth.prm.node(req, res)) next();
    },
    protect(routeOptions) {
      const opts: ProtectOptions = typeof routeOptions === 'string' || Array.isArray(routeOptions) ? { scopes: routeOptions as string | string[] } : ((routeOptions as ProtectOptions) ?? {});
      const routeScopes = asScopeList(opts.scopes);
      return (req, res, next) => {
        void (async () => {
          let body: unknown;
          try {
            body = await bodyOf(req);
          } catch (err) {
            if (err instanceof BodyTooLargeError) return send(res, { status: 413, headers: { 'Content-Type': 'application/json' }, body: { error: 'request_too_large' } });
            throw err;
          }
          const result = await auth.check(
            { method: req.method, url: req.originalUrl ?? req.url, headers: req.headers },
            { requiredScopes: routeScopes, body, introspect: opts.introspect },
          );
          if (!result.ok) return send(res, result.response);
          tokens.set(req, result.token);
          req.auth = auth.authInfo(result.token);
          next();
        })().catch(next);
      };
    },
  };
}
