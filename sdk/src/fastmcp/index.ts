/**
 * @authplane/sdk/fastmcp: a FastMCP server (`fastmcp` on npm) behind AuthPlane.
 *
 *   const auth = createFastMcpAuth({ issuer: 'http://localhost:9000', resource: 'http://localhost:3000/mcp', scopes: ['notes/read'] });
 *   const server = new FastMCP({ name: 'notes', version: '1.0.0', authenticate: auth.authenticate, oauth: auth.oauth });
 *   server.addTool({ name: 'add_note', execute: requireScope('notes/write', async (args, { session }) => …) });
 *   await server.start({ transportType: 'httpStream', httpStream: { port: 3000, stateless: true, enableJsonResponse: true } });
 *
 * `authenticate` verifies the token (issuer, audience, DPoP) and returns the session auth tools see as
 * `context.session`; a refusal is thrown as a `Response`, which FastMCP sends as is (our 401/403/503 challenge).
 * `oauth` makes FastMCP serve the Protected Resource Metadata at `/.well-known/oauth-protected-resource/mcp` (and
 * at `/.well-known/oauth-protected-resource`, where older clients look).
 *
 * Why a tool's step-up needs `enableJsonResponse`: the scope a tool needs is known only while the tool runs, and
 * FastMCP has no hook between the tool and the HTTP answer. In JSON-response mode the answer is written after
 * every tool finished, so the adapter (which found the request's `ServerResponse` through node's public
 * `http.server.request.start` diagnostics channel) turns it into the 403 challenge the client re-authorizes on.
 * With SSE responses the 200 is on the wire before the tool runs; the call then fails as a tool error naming the
 * scope, and the `toolScopes`-style check is not possible because FastMCP reads the body before `authenticate`.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VerifiedToken } from '../access-token.js';
import { asScopeList, createResourceAuth, type AuthResponse, type ResourceAuth, type ResourceAuthOptions } from '../resource-auth.js';

export type { AuthResponse } from '../resource-auth.js';

/** What tools see as `context.session`: the verified token, flattened for FastMCP's `Record<string, unknown>`. */
export interface AuthplaneSession {
  [member: string]: unknown;
  sub: string;
  clientId: string;
  scopes: string[];
  /** The raw access token (for token exchange on the user's behalf). */
  token: string;
  /** Unix seconds. */
  expiresAt: number;
  claims: VerifiedToken['claims'];
  jkt?: string;
}

export type FastMcpAuthOptions = Omit<ResourceAuthOptions, 'toolScopes'>;

/** FastMCP's `oauth` server option, serving our metadata document. */
export interface FastMcpOAuthOption {
  enabled: true;
  protectedResource: { resource: string; authorizationServers: string[]; [member: string]: unknown };
}

export interface FastMcpAuth extends ResourceAuth {
  /** FastMCP's `authenticate` option. */
  authenticate(request: IncomingMessage): Promise<AuthplaneSession>;
  /** FastMCP's `oauth` option. */
  oauth: FastMcpOAuthOption;
  /** For a tool's `canAccess`: hides the tool from sessions whose token lacks the scopes (no step-up then). */
  canAccess(scope: string | readonly string[]): (session: AuthplaneSession | undefined) => boolean;
}

interface RequestState {
  token: VerifiedToken;
  /** Scopes tools asked for during this request that the token lacks. */
  lacking: Set<string>;
}

const responses = new WeakMap<IncomingMessage, ServerResponse>();
const states = new WeakMap<object, RequestState>();
let listening = false;

/** Node publishes every request with its response before any listener runs: the pairing FastMCP does not expose. */
function trackResponses(): void {
  if (listening) return;
  listening = true;
  subscribe('http.server.request.start', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    responses.set(request, response);
  });
}

/** Once the request's answer starts, a step-up recorded during it replaces the answer with the 403 challenge. */
function answerStepUps(res: ServerResponse, state: RequestState, auth: ResourceAuth): void {
  const writeHead = res.writeHead;
  const end = res.end;
  const write = res.write;
  let replaced: AuthResponse | undefined;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    if (state.lacking.size && status < 300) {
      replaced = auth.stepUp(state.token, [...state.lacking]);
      for (const name of this.getHeaderNames()) this.removeHeader(name);
      return writeHead.call(this, replaced.status, replaced.headers);
    }
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as ServerResponse['writeHead'];
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    if (replaced) return true;
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (replaced) return (end as (chunk: string) => ServerResponse).call(this, JSON.stringify(replaced.body));
    return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['end'];
}

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function createFastMcpAuth(options: FastMcpAuthOptions): FastMcpAuth {
  const auth = createResourceAuth(options);
  trackResponses();
  // FastMCP snake-cases the keys it serves; handing it camelCase gives back exactly our document.
  const protectedResource = Object.fromEntries(Object.entries(auth.prm.document).map(([k, v]) => [camel(k), v])) as FastMcpOAuthOption['protectedResource'];

  return {
    ...auth,
    oauth: { enabled: true, protectedResource },
    async authenticate(req) {
      const result = await auth.check({ method: req.method, url: req.url, headers: req.headers });
      if (!result.ok) throw new Response(JSON.stringify(result.response.body), { status: result.response.status, headers: result.response.headers });
      const { token } = result;
      const session: AuthplaneSession = {
        sub: token.sub,
        clientId: token.clientId,
        scopes: token.scopes,
        token: token.token,
        expiresAt: token.expiresAt,
        claims: token.claims,
        ...(token.jkt ? { jkt: token.jkt } : {}),
      };
      const state: RequestState = { token, lacking: new Set() };
      states.set(session, state);
      const res = responses.get(req);
      if (res) answerStepUps(res, state, auth);
      return session;
    },
    canAccess(scope) {
      const needed = asScopeList(scope);
      return (session) => Boolean(session && needed.every((s) => session.scopes.includes(s)));
    },
  };
}

/**
 * Wraps a tool's `execute` so it runs only when the session's token has every scope in `scope`. Without them the
 * handler never runs: the request is answered with the 403 `insufficient_scope` step-up (JSON-response mode), or
 * the call fails as a tool error naming the scope.
 */
export function requireScope<A, C extends { session?: unknown }, R>(
  scope: string | readonly string[],
  execute: (args: A, context: C) => Promise<R>,
): (args: A, context: C) => Promise<R | { isError: true; content: { type: 'text'; text: string }[] }> {
  const needed = asScopeList(scope);
  return async (args, context) => {
    const session = context.session as AuthplaneSession | undefined;
    const missing = needed.filter((s) => !session?.scopes?.includes(s));
    if (!missing.length) return execute(args, context);
    const state = session ? states.get(session) : undefined;
    for (const s of needed) state?.lacking.add(s);
    return { isError: true, content: [{ type: 'text', text: `insufficient_scope: this tool needs the scope ${missing.join(' ')}` }] };
  };
}
