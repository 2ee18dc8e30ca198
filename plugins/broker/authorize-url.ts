/**
 * The upstream authorization request of an `oauth` provider (RFC 6749 §4.1.1 with PKCE, RFC 7636 §4.1–4.3): the
 * protocol's parameters, the provider's `authorize_params` (which provider-rules.ts keeps off the protocol's own),
 * and the scopes joined as the provider expects — in `user_scope` for Slack, whose `scope` asks for a bot token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { OAuthProvider } from './types.js';

/** RFC 7636 §4.1: 32 random octets, base64url — a 43-character verifier. */
export function createPkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeRequest {
  redirectUri: string;
  state: string;
  /** The S256 challenge; required when the provider has `pkce` on. */
  codeChallenge?: string;
  /** Upstream scopes to ask for; empty or absent asks for the provider's `default_scopes`. */
  scopes?: readonly string[];
}

export function authorizeUrl(provider: OAuthProvider, request: AuthorizeRequest): string {
  const { config } = provider;
  const url = new URL(config.authorize_url);
  const params = url.searchParams;
  for (const [name, value] of Object.entries(config.authorize_params)) params.set(name, value);
  params.set('response_type', 'code');
  params.set('client_id', config.client_id);
  params.set('redirect_uri', request.redirectUri);
  params.set('state', request.state);
  const scopes = request.scopes?.length ? request.scopes : config.default_scopes;
  if (scopes.length) params.set(config.response_quirk === 'slack' ? 'user_scope' : 'scope', scopes.join(config.scope_separator));
  if (config.pkce) {
    if (!request.codeChallenge) throw new TypeError(`provider '${provider.slug}' uses PKCE: the authorize request needs a code challenge`);
    params.set('code_challenge', request.codeChallenge);
    params.set('code_challenge_method', 'S256');
  }
  return url.toString();
}
