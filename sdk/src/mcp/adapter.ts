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
import type { PrmHandler } from '../protected-resource.js';
import { DEFAULT_MAX_BODY_BYTES } from '../node-body.js';
import { createResourceAuth, type AuthResponse, type ResourceAuthOptions } from '../resource-auth.js';
import type { RequestLike, Verifier } from '../verifier.js';
import { BodyTooLargeError, toWebRequest, writeNodeResponse } from './node-http.js';
import { stepUpRequested, trackStepUp } from './require-scope.js';

/** The official SDK's `McpServer` (or its low-level `Server`): anything that connects to a transport. */
export interface McpServerLike {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/** Builds the MCP server for one request; it gets the verified token (per-user tools, tenancy). */
export type McpServerFactory = (token: VerifiedToken) => McpServerLike | Promise<McpServerLike>;

export interface McpAuthOptions extends ResourceAuthOptions {
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

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

const asResponse = (answer: AuthResponse) => json(answer.status, answer.body, answer.headers);

export function createMcpAuth(options: McpAuthOptions): McpAuth {
  const core = createResourceAuth(options);
  const { verifier, prm } = core;
  const resourcePath = new URL(options.resource).pathname.replace(/\/$/, '') || '/';
  const publicOrigin = new URL(options.publicUrl ?? options.resource).origin;

  async function authenticate(request: RequestLike, opts: { requiredScopes?: readonly string[]; introspect?: boolean } = {}): Promise<AuthenticateResult> {
    const result = await core.check(request, { requiredScopes: opts.requiredScopes, introspect: opts.introspect ?? options.introspect === true });
    if (result.ok) return { ok: true, token: result.token, authInfo: toAuthInfo(result.token, options.resource) };
    // Serialized and parsed back, so the body is exactly what fetchHandler would send.
    const { status, headers, body } = result.response;
    return { ok: false, status, headers: { 'content-type': 'application/json', ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) }, body };
  }

  function fetchHandler(factory: McpServerFactory): (request: Request) => Promise<Response> {
    return async (request) => {
      const metadata = prm.fetch(request);
      if (metadata) return metadata;
      const path = new URL(request.url).pathname.replace(/\/$/, '') || '/';
      if (path !== resourcePath) return json(404, { error: 'not_found' });
      const text = request.method === 'POST' ? await request.text() : '';
      if (new TextEncoder().encode(text).byteLength > (options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)) return json(413, { error: 'request_too_large' });
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined; // the transport answers the JSON-RPC parse error, after authentication
      }
      const checked = await core.check({ method: request.method, url: request.url, headers: request.headers }, { body: parsed });
      if (!checked.ok) return asResponse(checked.response);
      const { token } = checked;
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
        return asResponse(core.stepUp(token, lacking));
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
      const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
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
