/**
 * Resource URIs (RFC 8707 §2): absolute, no fragment. Two spellings of one resource must meet in one row, so every
 * URI also gets a comparison key: scheme and host lower-cased (RFC 3986 §6.2.2.1), the default port dropped
 * (§6.2.3) and one trailing slash removed — `https://MCP.example.com:443/mcp/` and `https://mcp.example.com/mcp`
 * share the key `https://mcp.example.com/mcp`. The path keeps its case: it is case-sensitive (§6.2.2.1).
 */

export interface NormalizedUri {
  /** The key lookups and the unique index compare. */
  key: string;
  /** Host with a non-default port, lower-cased, as in the key. */
  host: string;
  /** Path with one trailing slash removed ('' for the root). What Protected Resource Metadata URLs carry. */
  path: string;
}

export class ResourceUriError extends Error {}

/**
 * The width of `resources.uri_key`. Normalizing percent-encodes every non-ASCII character (up to 12 characters for
 * one), so a URI within the 2048 characters `uri` holds can have a far longer key; the column cannot simply be
 * widened, since PostgreSQL caps the size of an entry in its unique index.
 */
export const MAX_URI_KEY_LENGTH = 2048;

/** RFC 8252 §8.3: only loopback may go without TLS; the name `localhost` is accepted for local development. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Parses and checks a resource URI; throws ResourceUriError with a client-safe reason. */
export function normalizeResourceUri(uri: string): NormalizedUri {
  // RFC 8707 §2: "MUST NOT include a fragment component" — refused even when empty (`…/mcp#`).
  if (uri.includes('#')) throw new ResourceUriError('must not contain a fragment');
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ResourceUriError('must be an absolute URI');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ResourceUriError('must use https (http only for loopback hosts)');
  }
  if (url.username || url.password) throw new ResourceUriError('must not contain user information');
  if (!url.hostname) throw new ResourceUriError('must have a host');
  // WHATWG URL already lower-cases scheme and host and drops the scheme's default port.
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return { key: `${url.protocol}//${url.host}${path}${url.search}`, host: url.host, path };
}

/** A slug for a resource known only by its URI (the env shortcut): host and path in kebab case. */
export function slugFromUri(uri: string): string {
  const url = new URL(uri);
  const slug = `${url.hostname}${url.pathname}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug || 'resource';
}
