/**
 * Where a person goes to grant what a vend lacks (the `consent_url` of `consent_required`):
 * - our authorization endpoint, for the user's token (a scope the token lacks, a consent withdrawn). The client
 *   completes the URL with its own `client_id`, `redirect_uri`, `state` and PKCE, as an MCP client steps up scope
 *   (MCP authorization, "Scope challenge handling"); the URL names the resource and every scope to ask for.
 * - the broker's connect route, for the user's upstream grant (none yet, or one lacking an upstream scope).
 */
const joinScopes = (scopes: readonly string[]) => [...new Set(scopes)].join(' ');

export function authorizeConsentUrl(issuer: string, resourceUri: string, scopes: readonly string[]): string {
  const query = new URLSearchParams({ resource: resourceUri });
  if (scopes.length) query.set('scope', joinScopes(scopes));
  return `${issuer}/oauth/authorize?${query}`;
}

/** `scopes` (the broker resource's scope names) only when the grant lacks some: the connect asks for their upstream scopes. */
export function connectConsentUrl(issuer: string, providerSlug: string, resourceSlug: string, scopes?: readonly string[]): string {
  const query = new URLSearchParams({ resource: resourceSlug });
  if (scopes?.length) query.set('scope', joinScopes(scopes));
  return `${issuer}/connect/${encodeURIComponent(providerSlug)}?${query}`;
}
