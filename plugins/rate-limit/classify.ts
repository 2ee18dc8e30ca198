import type { LimitClass } from './schema.js';

/** Probes an orchestrator must always get through, whatever an address did before. */
const EXEMPT_PATHS = new Set(['/health', '/livez', '/ready']);
const STRICT = new Set(['POST /login', 'POST /oauth/register']);
/** An identity provider's callback (`/login/local/callback` checks a password, a magic link sends mail). */
const PROVIDER_CALLBACK = /^\/login\/[^/]+\/callback$/;
const TOKEN_PATHS = new Set(['/oauth/token', '/oauth/introspect', '/oauth/revoke']);

/**
 * Which bucket a request draws from, or undefined when it is never limited: health probes, and `/.well-known/*`
 * (discovery, JWKS, protected-resource metadata) — static documents served from memory, which resource servers
 * must always be able to fetch to verify tokens.
 */
export function limitClassOf(method: string, path: string): LimitClass | undefined {
  if (EXEMPT_PATHS.has(path) || path.startsWith('/.well-known/')) return undefined;
  if (STRICT.has(`${method} ${path}`) || (method === 'POST' && PROVIDER_CALLBACK.test(path))) return 'strict';
  if (TOKEN_PATHS.has(path)) return 'token';
  return 'default';
}
