/**
 * `createMcpAuth`: an official MCP SDK server behind AuthPlane in a few lines. One handler serves the Protected
 * Resource Metadata document and the MCP endpoint; every MCP request is verified first (401 with
 * `resource_metadata` otherwise), tool calls needing more scope get a 403 `insufficient_scope` challenge, and the
 * verified token reaches tool handlers as `extra.authInfo`.
 *
 * Why JSON responses and a server per request: a step-up must be an HTTP 403, and the scope a tool needs is
 * known only once the request is dispatched (`requireScope` runs inside the MCP request). With
 * `enableJsonResponse` the transport builds the HTTP response after every handler has finished, so the adapter
 * can still turn it into a challenge; with SSE the 200 would already be on the wire. Stateless, so any replica
 * can answer any request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { VerifiedToken } from '../access-token.js';
import { challengeResponse } from '../challenge.js';
import { AuthorizationServerError, IssuerMismatchError, TokenError } from '../errors.js';
import { createPrmHandler, type PrmHandler } from '../protected-resource.js';
import { createVerifier, type RequestLike, type Verifier, type VerifierOptions } from '../verifier.js';
import { BodyTooLargeError, toWebRequest, writeNodeResponse } from './node-http.js';
import { stepUpRequested, trackStepUp } from './require-scope.js';

/** The official SDK's `McpServer` (or its low-level `Server`): anything that connects to a transport. */
export interface McpServerLike {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/** Builds the MCP server for one request; it gets the verified token (per-user tools, tenancy). */
export type McpServerFactory = (token: VerifiedToken) => McpServerLike | Promise<McpServerLike>;

export interface McpAuthOptions extends VerifierOptions {
  /** Scopes every MCP request needs; named in the 401 challenge, so clients ask for them first. */
  scopes?: readonly string[];
  /** Scopes a `tools/call` of a given tool needs, checked before the server runs (an alternative to requireScope). */
  toolScopes?: Readonly<Record<string, string | readonly string[]>>;
  /** `scopes_supported` in the metadata (default: `scopes` and every `toolScopes` value). */
  scopesSupported?: readonly string[];
  /** Ask AuthPlane about every request (`true`), or only about calls of these tools (revocation-sensitive ones). */
  introspect?: boolean | readonly string[];
  /** `resource_name` in the metadata. */
  resourceName?: string;
  /** Advertise `dpop_bound_access_tokens_required` (DPoP-bound tokens are verified either way). */
  dpopRequired?: boolean;
  /** Largest accepted request body (default 4 MiB, as the MCP SDK's transport). */
  maxBodyBytes?: number;
}

export type AuthenticateResult =
  | { ok: true; token: VerifiedToken; authInfo: AuthInfo }
  | { ok: false; status: number; headers: Record<string, string>; body: Record<string, unknown> };

export interface McpAuth {
  readonly verifier: Verifier;
  readonly prm: PrmHandler;
  /** `resource_metadata` of every challenge. */
  readonly resourceMetadataUrl: string;
  /** Web-standard handler (Hono, Bun, Deno, Next.js route handlers). */
  fetchHandler(factory: McpServerFactory): (request: Request) => Promise<Response>;
  /** node:http handler: `http.createServer(auth.nodeHandler(build)).listen(3000)`. */
  nodeHandler(factory: McpServerFactory): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** For a transport you run yourself (express + StreamableHTTPServerTransport): the AuthInfo for `req.auth`, or the challenge to send. */
  authenticate(request: RequestLike, options?: { requiredScopes?: readonly string[]; introspect?: boolean }): Promise<AuthenticateResult>;
}

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

const asList = (value: string | readonly string[]) => (typeof value === 'string' ? value.split(' ').filter(Boolean) : [...value]);

export function toAuthInfo(token: VerifiedToken, resource: string): AuthInfo {
  return {
    token: token.token,
    clientId: token.clientId,
    scopes: token.scopes,
    expiresAt: token.expiresAt,
    resource: new URL(resource),
    extra: { sub: token.sub, claims: token.claims, ...(token.jkt ? { jkt: token.jkt } : {}) },
  };
}

/** The `tools/call` names in a JSON-RPC message or batch. */
function calledTools(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) => {
    const msg = m as { method?: unknown; params?: { name?: unknown } } | null;
    return msg?.method === 'tools/call' && typeof msg.params?.name === 'string' ? [msg.params.name] : [];
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

export function createMcpAuth(options: McpAuthOptions): McpAuth {
  if (options.introspect && (options.introspect === true || options.introspect.length) && !options.introspection) {
    throw new TypeError('createMcpAuth: introspect needs the introspection option (the client credentials to introspect with)');
  }
  const verifier = createVerifier(options);
  const baseScopes = options.scopes ? [...options.scopes] : [];
  const toolScopes = Object.fromEntries(Object.entries(options.toolScopes ?? {}).map(([tool, s]) => [tool, asList(s)]));
  const scopesSupported = options.scopesSupported ?? [...new Set([...baseScopes, ...Object.values(toolScopes).flat()])];
  const prm = createPrmHandler({
    issuer: options.issuer,
    resource: options.resource,
    scopesSupported,
    resourceName: options.resourceName,
    dpop: { algorithms: verifier.dpopAlgorithms, required: options.dpopRequired },
  });
  const challengeOptions = { resourceMetadataUrl: prm.url, scopes: baseScopes, dpopAlgorithms: verifier.dpopAlgorithms };
  const resourcePath = new URL(options.resource).pathname.replace(/\/$/, '') || '/';
  const publicOrigin = new URL(options.publicUrl ?? options.resource).origin;
  const introspectTools = new Set(Array.isArray(options.introspect) ? options.introspect : []);

  const refusal = (err: unknown): Response => {
    if (err instanceof TokenError) {
      const challenge = challengeResponse(err, challengeOptions);
      return json(challenge.status, challenge.body, challenge.headers);
    }
    // A wrong issuer option is a configuration error an operator must see for what it is; the issuers are public.
    if (err instanceof IssuerMismatchError) {
      const received = typeof err.received === 'string' ? `"${err.received}"` : JSON.stringify(err.received);
      return json(500, {
        error: 'server_error',
        error_description: `issuer mismatch: the authorization server's metadata names issuer ${received}, this server is configured with "${err.expected}"`,
      });
    }
    if (err instanceof AuthorizationServerError) {
      return json(503, { error: 'temporarily_unavailable', error_description: 'the authorization server cannot be reached' }, { 'Retry-After': '5' });
    }
    throw err;
  };

  async function authenticate(request: RequestLike, opts: { requiredScopes?: readonly string[]; introspect?: boolean } = {}): Promise<AuthenticateResult> {
    try {
      const token = await verifier.verifyRequest(request, {
        requiredScopes: [...baseScopes, ...(opts.requiredScopes ?? [])],
        introspect: opts.introspect ?? options.introspect === true,
      });
      return { ok: true, token, authInfo: toAuthInfo(token, options.resource) };
    } catch (err) {
      const response = refusal(err);
      return { ok: false, status: response.status, headers: Object.fromEntries(response.headers), body: (await response.json()) as Record<string, unknown> };
    }
  }

  function fetchHandler(factory: McpServerFactory): (request: Request) => Promise<Response> {
    return async (request) => {
      const metadata = prm.fetch(request);
      if (metadata) return metadata;
      const path = new URL(request.url).pathname.replace(/\/$/, '') || '/';
      if (path !== resourcePath) return json(404, { error: 'not_found' });
      const text = request.method === 'POST' ? await request.text() : '';
      if (new TextEncoder().encode(text).byteLength > (options.maxBodyBytes ?? DEFAULT_MAX_BODY)) return json(413, { error: 'request_too_large' });
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined; // the transport answers the JSON-RPC parse error, after authentication
      }
      const tools = calledTools(parsed);
      const required = [...new Set([...baseScopes, ...tools.flatMap((t) => toolScopes[t] ?? [])])];
      let token: VerifiedToken;
      try {
        token = await verifier.verifyRequest(
          { method: request.method, url: request.url, headers: request.headers },
          { requiredScopes: required, introspect: options.introspect === true || tools.some((t) => introspectTools.has(t)) },
        );
      } catch (err) {
        return refusal(err);
      }
      // Stateless: no server-to-client stream (GET) and no session to end (DELETE).
      if (request.method !== 'POST') return json(405, { error: 'method_not_allowed' }, { Allow: 'POST' });
      const authInfo = toAuthInfo(token, options.resource);
      trackStepUp(authInfo);
      const server = await factory(token);
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      try {
        await server.connect(transport);
        const forwarded = new Request(request.url, { method: 'POST', headers: request.headers, body: text });
        const response = await transport.handleRequest(forwarded, { authInfo, parsedBody: parsed });
        const lacking = stepUpRequested(authInfo);
        if (!lacking) return response;
        await response.body?.cancel();
        return refusal(
          new TokenError('insufficient_scope', `this call needs the scope ${lacking.filter((s) => !token.scopes.includes(s)).join(' ')}`, {
            code: 'insufficient_scope',
            scheme: token.jkt ? 'DPoP' : 'Bearer',
            requiredScopes: [...new Set([...token.scopes, ...lacking])],
          }),
        );
      } finally {
        await transport.close();
        await server.close();
      }
    };
  }

  return {
    verifier,
    prm,
    resourceMetadataUrl: prm.url,
    authenticate,
    fetchHandler,
    nodeHandler(factory) {
      const handle = fetchHandler(factory);
      const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
      return async (req, res) => {
        try {
          const request = await toWebRequest(req, publicOrigin, maxBody);
          await writeNodeResponse(res, await handle(request));
        } catch (err) {
          if (res.headersSent) {
            res.destroy(err as Error);
            return;
          }
          const status = err instanceof BodyTooLargeError ? 413 : 500;
          res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: status === 413 ? 'request_too_large' : 'server_error' }));
        }
      };
    },
  };
}
