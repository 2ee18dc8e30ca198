/**
 * RFC 8414 authorization server metadata, fetched once and cached. Endpoints are never guessed from the issuer:
 * they come from the document, whose `issuer` must equal the configured one exactly (§3.3), so a resource server
 * cannot be pointed at another server's keys by a look-alike URL.
 */
import { AuthorizationServerError, IssuerMismatchError } from './errors.js';

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface AuthorizationServerMetadata {
  issuer: string;
  jwks_uri: string;
  token_endpoint?: string;
  introspection_endpoint?: string;
  revocation_endpoint?: string;
  dpop_signing_alg_values_supported?: string[];
  [member: string]: unknown;
}

/** A timeout for every call to the authorization server: a hung AS must not hang every MCP request. */
export const FETCH_TIMEOUT_MS = 5_000;

/** RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path. */
export function discoveryUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

export async function fetchJson(fetchImpl: FetchLike, url: string, what: string): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (cause) {
    throw new AuthorizationServerError(`${what} could not be fetched from ${url}`, { cause });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new AuthorizationServerError(`${what} at ${url} answered ${response.status}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new AuthorizationServerError(`${what} at ${url} is not JSON`, { cause });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AuthorizationServerError(`${what} at ${url} is not a JSON object`);
  }
  return body as Record<string, unknown>;
}

/** Caches a value for `ttlMs`, shares one in-flight load between concurrent callers, and keeps a stale value when a reload fails. */
export class CachedValue<T> {
  #value: T | undefined;
  #loadedAt = 0;
  #inflight: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get loadedAt(): number {
    return this.#loadedAt;
  }

  async get(): Promise<T> {
    if (this.#value !== undefined && this.now() - this.#loadedAt < this.ttlMs) return this.#value;
    try {
      return await this.reload();
    } catch (err) {
      // Serving the last good value keeps verification up through a short outage of the authorization server.
      if (this.#value !== undefined) return this.#value;
      throw err;
    }
  }

  reload(): Promise<T> {
    this.#inflight ??= this.load()
      .then((value) => {
        this.#value = value;
        this.#loadedAt = this.now();
        return value;
      })
      .finally(() => {
        this.#inflight = undefined;
      });
    return this.#inflight;
  }
}

export function createDiscovery(options: { issuer: string; fetch: FetchLike; ttlMs: number; now: () => number }): CachedValue<AuthorizationServerMetadata> {
  return new CachedValue(
    async () => {
      const url = discoveryUrl(options.issuer);
      const doc = await fetchJson(options.fetch, url, 'authorization server metadata');
      if (doc.issuer !== options.issuer) {
        throw new IssuerMismatchError(options.issuer, doc.issuer, url);
      }
      if (typeof doc.jwks_uri !== 'string') throw new AuthorizationServerError(`metadata at ${url} has no jwks_uri`);
      return doc as AuthorizationServerMetadata;
    },
    options.ttlMs,
    options.now,
  );
}
