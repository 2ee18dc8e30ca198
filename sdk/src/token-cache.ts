/**
 * Access tokens kept per (scope, resource) until shortly before they expire, so an MCP server calling another API
 * with client credentials does not ask the authorization server on every call, and never sends a token that
 * expires in flight. The refresh margin is capped at half the token's lifetime: a 60 s margin on a 60 s token would
 * mean fetching on every call.
 */
import type { TokenResponse } from './oauth-client.js';

export interface CachedTokenRequest {
  scope?: string | string[];
  resource?: string | string[];
}

interface Entry {
  response: TokenResponse;
  /** When to fetch the next token, in ms. */
  renewAt: number;
}

const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : value.split(' ').filter(Boolean));

/** The same scopes and resources in any order are the same token. */
const keyOf = (request: CachedTokenRequest) => JSON.stringify([[...new Set(list(request.scope))].sort(), [...new Set(list(request.resource))].sort()]);

export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<TokenResponse>>();

  constructor(
    private readonly options: {
      now: () => number;
      refreshBeforeMs: number;
      fetchToken: (request: CachedTokenRequest) => Promise<TokenResponse>;
      refreshToken: (refreshToken: string, request: CachedTokenRequest) => Promise<TokenResponse>;
    },
  ) {}

  async get(request: CachedTokenRequest): Promise<string> {
    const key = keyOf(request);
    const entry = this.#entries.get(key);
    if (entry && this.options.now() < entry.renewAt) return entry.response.access_token;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#renew(request, entry).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return (await pending).access_token;
  }

  invalidate(request?: CachedTokenRequest): void {
    if (request) this.#entries.delete(keyOf(request));
    else this.#entries.clear();
  }

  async #renew(request: CachedTokenRequest, previous: Entry | undefined): Promise<TokenResponse> {
    const key = keyOf(request);
    let response: TokenResponse | undefined;
    if (previous?.response.refresh_token) {
      // A refused refresh (revoked, rotated elsewhere) is not an error for the caller: client credentials again.
      response = await this.options.refreshToken(previous.response.refresh_token, request).catch(() => undefined);
    }
    response ??= await this.options.fetchToken(request);
    const fetchedAt = this.options.now();
    if (typeof response.expires_in === 'number' && response.expires_in > 0) {
      const lifetimeMs = response.expires_in * 1000;
      this.#entries.set(key, { response, renewAt: fetchedAt + lifetimeMs - Math.min(this.options.refreshBeforeMs, lifetimeMs / 2) });
    } else {
      // No lifetime given: nothing tells when it stops working, so it is not kept.
      this.#entries.delete(key);
    }
    return response;
  }
}
