import type { Client, TokenInfo } from 'authplane';
import type { ResourceRegistry } from '../resources/types.js';

/**
 * RFC 7662 §4: the server decides who may learn about a token. Here: the client it was issued to, or a client a
 * resource in its audience runs as (`policy.runtime.client_ids`) — the MCP server checking the tokens sent to it.
 * Anyone else gets `{"active": false}` and learns nothing, not even that the token exists.
 */
export async function mayIntrospect(
  caller: Client,
  info: TokenInfo,
  resources: ResourceRegistry,
  issuer: string,
): Promise<boolean> {
  if (info.client_id === caller.client_id) return true;
  const audience = info.aud === undefined ? [] : Array.isArray(info.aud) ? info.aud : [info.aud];
  for (const uri of audience) {
    // A token for the issuer itself (client_credentials without resource) has no resource to run as.
    if (uri === issuer) continue;
    const resource = await resources.resolve(uri);
    // The audience is the resource's stored URI byte for byte (we issued it); anything else is not that resource.
    if (resource?.uri === uri && resource.policy.runtime?.client_ids?.includes(caller.client_id)) return true;
  }
  return false;
}
