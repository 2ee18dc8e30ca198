/**
 * Discovery's `scopes_supported`. RFC 8414 §2 makes the field optional and lets a server leave scopes out; MCP
 * clients choose scopes from the resource's own metadata (RFC 9728 `scopes_supported`, or the 401's `scope`), not
 * from this list. So it lists the union of every resource's scopes only while that stays small, and past `limit`
 * names only the server-wide scope: the discovery document then stays the same size however many resources exist.
 */

/** RFC 6749 §6 / OIDC Core §11: the scope clients ask for to get a refresh token. */
export const OFFLINE_ACCESS = 'offline_access';

export function discoveryScopes(union: readonly string[], limit: number): string[] {
  const listed = union.filter((scope) => scope !== OFFLINE_ACCESS);
  return listed.length <= limit ? [...listed, OFFLINE_ACCESS].sort() : [OFFLINE_ACCESS];
}
