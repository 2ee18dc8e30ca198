import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { BootError, ProblemError } from '../errors.js';
import type { AdminPrincipal, ListenerName } from '../hooks.js';
import type { Context } from 'koa';
import type { HttpMethod, RouteHandler, RouteOptions } from '../plugin/api.js';
import type { Serialized } from '../wellknown/documents.js';

/** A document the kernel serves as stored bytes (discovery and the JWKS): its koa route, and with `server.fastPaths` also ahead of koa. */
export interface StaticDocument {
  /** The current bytes; called per request, so a rotation or `invalidate()` shows at once. */
  current(): Serialized;
  contentType: string;
  maxAge: number;
}

interface RouteEntry {
  listener: ListenerName;
  method: HttpMethod;
  path: string;
  handler: RouteHandler;
  options: RouteOptions;
  owner: string;
  /** A GET route whose answer is this document (kernel routes only): also answered ahead of koa (kernel/fast-path/). */
  document?: StaticDocument;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** RFC 9110 §5.1: a field name is a token. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The headers the kernel's own endpoints take from and give to browser clients (CORS, kernel/http/headers.ts). */
const KERNEL_CORS_HEADERS = {
  allow: ['Authorization', 'Content-Type', 'MCP-Protocol-Version', 'X-Request-ID'],
  expose: ['WWW-Authenticate', 'Retry-After', 'X-Request-ID'],
};

/** What the CORS-enabled endpoints let a browser client send (`allow`) and read (`expose`), as header values. */
export interface CorsHeaderLists {
  allow: string;
  expose: string;
}

/**
 * Every route of both listeners, registered by the kernel and plugins during register. A second registration of
 * the same method and path stops boot naming both owners.
 */
export class RouteTable {
  readonly #routes = new Map<string, RouteEntry>();
  /** By lower-case name: each header once, spelled as its first registrant spelled it. */
  readonly #cors = { allow: new Map<string, string>(), expose: new Map<string, string>() };
  #frozen = false;

  constructor() {
    for (const list of ['allow', 'expose'] as const) this.#addCorsHeaders(list, KERNEL_CORS_HEADERS[list]);
  }

  add(entry: RouteEntry): void {
    if (this.#frozen) {
      throw new BootError('AP_ERR_REGISTRY_FROZEN', `route ${entry.method} ${entry.path} added by '${entry.owner}' after boot`);
    }
    const key = `${entry.listener} ${entry.method} ${entry.path}`;
    const existing = this.#routes.get(key);
    if (existing) {
      throw new BootError(
        'AP_ERR_REGISTRY_DUPLICATE',
        `route ${entry.method} ${entry.path} on the ${entry.listener} listener registered by '${existing.owner}' and '${entry.owner}'`,
      );
    }
    this.#routes.set(key, entry);
  }

  freeze(): void {
    this.#frozen = true;
  }

  /**
   * Headers a plugin's feature needs browser clients to send to (`allow`) or read from (`expose`) the CORS-enabled
   * endpoints, beyond the kernel's own: DPoP's `DPoP` request header and `DPoP-Nonce` response header, say.
   */
  addCorsHeaders(headers: { allow?: readonly string[]; expose?: readonly string[] }, owner: string): void {
    if (this.#frozen) throw new BootError('AP_ERR_REGISTRY_FROZEN', `CORS headers added by '${owner}' after boot`);
    for (const list of ['allow', 'expose'] as const) {
      for (const name of headers[list] ?? []) {
        if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
          throw new BootError('AP_ERR_CORS_HEADER', `plugin '${owner}' asked CORS to ${list} ${JSON.stringify(name)}, which is not a header name (RFC 9110 §5.1)`);
        }
      }
      this.#addCorsHeaders(list, headers[list] ?? []);
    }
  }

  #addCorsHeaders(list: 'allow' | 'expose', names: readonly string[]): void {
    for (const name of names) if (!this.#cors[list].has(name.toLowerCase())) this.#cors[list].set(name.toLowerCase(), name);
  }

  corsHeaders(): CorsHeaderLists {
    return { allow: [...this.#cors.allow.values()].join(', '), expose: [...this.#cors.expose.values()].join(', ') };
  }

  list(listener?: ListenerName): RouteEntry[] {
    return [...this.#routes.values()].filter((r) => !listener || r.listener === listener);
  }

  /** The static documents of one listener by path, for the static responder. */
  documents(listener: ListenerName): Map<string, StaticDocument> {
    return new Map(this.list(listener).flatMap((r) => (r.document && r.method === 'GET' ? [[r.path, r.document] as const] : [])));
  }

  /** Exact paths that asked for CORS outside the default prefixes. */
  corsPaths(listener: ListenerName): Set<string> {
    return new Set(this.list(listener).filter((r) => r.options.cors).map((r) => r.path));
  }

  /**
   * The router of one listener and the middleware that dispatches to it. A static path (no parameters) is found by
   * one Map lookup instead of the router's scan of every route's pattern — unless a route registered before it
   * also matches that path, which the router would run first; such paths keep going through the router.
   */
  dispatcher(
    listener: ListenerName,
    adminApiKey: string | undefined,
    otherAdmin: AdminAuthenticator = async () => undefined,
  ): { router: Router; middleware: Middleware } {
    const router = new Router();
    const direct = new Map<string, Middleware>();
    const expected = adminApiKey ? digest(adminApiKey) : undefined;
    for (const route of this.list(listener)) {
      const needsKey = listener === 'admin' && route.path.startsWith('/admin/') && route.options.adminAuth !== false;
      const tag: Middleware = async (ctx, next) => {
        ctx.state.route = route.path;
        if (route.options.errors) ctx.state.errorStyle = route.options.errors;
        if (needsKey) await requireAdmin(ctx, expected, otherAdmin);
        await next();
      };
      const handler: Middleware = async (ctx) => {
        await route.handler(ctx);
      };
      router.register(route.path, [route.method], [tag, handler]);
      if (STATIC_PATH.test(route.path)) {
        direct.set(`${route.method} ${route.path}`, (ctx) => {
          ctx.params = {};
          return tag(ctx, () => handler(ctx, noNext));
        });
      }
    }
    for (const key of [...direct.keys()]) {
      const space = key.indexOf(' ');
      const path = key.slice(space + 1);
      if (router.match(path, key.slice(0, space)).pathAndMethod[0]?.path !== path) direct.delete(key);
    }
    const routed = router.routes() as unknown as Middleware;
    const middleware: Middleware = (ctx, next) => {
      const hit = direct.get(`${ctx.method} ${ctx.path}`);
      return hit ? hit(ctx, next) : routed(ctx, next);
    };
    return { router, middleware };
  }
}

/** No parameter, wildcard, group or escape (path-to-regexp v8 syntax): the path matches only itself. */
const STATIC_PATH = /^[^:*{}()\\]*$/;
const noNext = async () => {};

/** A bearer that is not the admin API key, offered to the `adminAuthenticate` taps (the console's signed-in user). */
export type AdminAuthenticator = (token: string, ctx: Context) => Promise<AdminPrincipal | undefined>;

/**
 * The admin API key (constant-time comparison of digests, so neither the key nor its length leaks through timing),
 * else a token an `adminAuthenticate` tap accepts; the principal it names is kept for `adminActor`.
 */
async function requireAdmin(ctx: Context, expected: Buffer | undefined, otherAdmin: AdminAuthenticator): Promise<void> {
  const challenge = { 'WWW-Authenticate': 'Bearer realm="admin"' };
  const match = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
  const token = match?.[1]!.trim();
  if (token && expected && timingSafeEqual(digest(token), expected)) return;
  const principal = token ? await otherAdmin(token, ctx) : undefined;
  if (principal) {
    ctx.state.adminPrincipal = principal;
    return;
  }
  if (!expected) {
    throw new ProblemError(401, 'Unauthorized', 'the admin API is disabled until AUTHPLANE_ADMIN_API_KEY is set', {
      headers: challenge,
    });
  }
  throw new ProblemError(401, 'Unauthorized', 'a valid admin API key is required (Authorization: Bearer <key>)', {
    headers: challenge,
  });
}
