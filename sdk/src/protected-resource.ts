/**
 * RFC 9728 Protected Resource Metadata, served by the MCP server itself: the document an MCP client fetches after
 * a 401 to learn which authorization server to use and which scopes exist. Its URL is derived from the resource
 * identifier (§3.1): `https://mcp.example.com/mcp` → `https://mcp.example.com/.well-known/oauth-protected-resource/mcp`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const PRM_PREFIX = '/.well-known/oauth-protected-resource';
/** Clients re-read it after a 401 anyway; five minutes keeps a changed scope list from lingering long. */
const PRM_MAX_AGE_S = 300;

export interface ProtectedResourceOptions {
  /** The AuthPlane issuer, listed in `authorization_servers`. */
  issuer: string;
  /** This server's resource identifier (the MCP endpoint URL clients connect to; the token audience). */
  resource: string;
  /** `scopes_supported`: every scope this resource understands. */
  scopesSupported?: readonly string[];
  /** `resource_name`, shown by some clients. */
  resourceName?: string;
  /** RFC 9449 §5.1: `dpop_signing_alg_values_supported`, and `dpop_bound_access_tokens_required` when `required`. */
  dpop?: { algorithms?: readonly string[]; required?: boolean };
  /** Any further RFC 9728 members (`resource_documentation`, `resource_policy_uri`, …). */
  extra?: Record<string, unknown>;
}

/** RFC 9728 §3.1: the well-known segment goes between the host and the resource's path (and query). */
export function protectedResourceMetadataPath(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${PRM_PREFIX}${path}${url.search}`;
}

export function protectedResourceMetadataUrl(resource: string): string {
  return `${new URL(resource).origin}${protectedResourceMetadataPath(resource)}`;
}

export function protectedResourceMetadata(options: ProtectedResourceOptions): Record<string, unknown> {
  return {
    resource: options.resource,
    authorization_servers: [options.issuer],
    ...(options.scopesSupported?.length ? { scopes_supported: [...options.scopesSupported] } : {}),
    // RFC 6750 §2.1 only: tokens in query strings or form bodies leak into logs.
    bearer_methods_supported: ['header'],
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
    ...(options.dpop?.algorithms?.length ? { dpop_signing_alg_values_supported: [...options.dpop.algorithms] } : {}),
    ...(options.dpop?.required ? { dpop_bound_access_tokens_required: true } : {}),
    ...options.extra,
  };
}

export interface PrmHandler {
  /** The path it answers, e.g. `/.well-known/oauth-protected-resource/mcp`. */
  readonly path: string;
  /** The absolute URL, for `resource_metadata` in challenges. */
  readonly url: string;
  readonly document: Readonly<Record<string, unknown>>;
  /** True when `pathname` is this document's path (a trailing slash tolerated). */
  matches(pathname: string): boolean;
  /** Web-standard: the response for a request to the document's path, undefined for any other request. */
  fetch(request: Request): Response | undefined;
  /** node:http: answers and returns true for the document's path, returns false (untouched) for anything else. */
  node(req: IncomingMessage, res: ServerResponse): boolean;
}

const HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': `public, max-age=${PRM_MAX_AGE_S}`,
  // Browser-based MCP clients read it cross-origin; it is public by design.
  'Access-Control-Allow-Origin': '*',
};

export function createPrmHandler(options: ProtectedResourceOptions): PrmHandler {
  const path = new URL(protectedResourceMetadataPath(options.resource), 'http://x').pathname;
  const document = protectedResourceMetadata(options);
  const body = JSON.stringify(document);
  const matches = (pathname: string) => pathname === path || pathname === `${path}/`;
  const answer = (method: string): { status: number; headers: Record<string, string>; body: string | null } =>
    method === 'GET' || method === 'HEAD'
      ? { status: 200, headers: HEADERS, body: method === 'HEAD' ? null : body }
      : method === 'OPTIONS'
        ? { status: 204, headers: Object.assign({}, HEADERS, { 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS' }), body: null }
        : { status: 405, headers: { Allow: 'GET, HEAD, OPTIONS' }, body: null };
  return {
    path,
    url: protectedResourceMetadataUrl(options.resource),
    document,
    matches,
    fetch(request) {
      if (!matches(new URL(request.url).pathname)) return undefined;
      const out = answer(request.method);
      return new Response(out.body, { status: out.status, headers: out.headers });
    },
    node(req, res) {
      if (!matches(new URL(req.url ?? '/', 'http://x').pathname)) return false;
      const out = answer(req.method ?? 'GET');
      res.writeHead(out.status, out.headers).end(out.body ?? undefined);
      return true;
    },
  };
}
