import { defineGrant, echo, InvalidScope, InvalidTarget, type Client, type GrantHandler, type RuntimeApi } from 'authplane';
import type { Resource } from '../resources/types.js';

export const CLIENT_CREDENTIALS = 'client_credentials';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Registration sources whose scope ceiling the client wrote itself, not an administrator. */
const SELF_REGISTERED = new Set(['dcr', 'cimd']);
/** OIDC Core §11 / RFC 6749 §4.4.3: asks for a refresh token, which this grant never issues. */
const OFFLINE_ACCESS = 'offline_access';

function scopeTokens(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter(Boolean))];
}

/**
 * The scopes to grant: the request's (or, when omitted, the whole ceiling — RFC 6749 §3.3 lets the server apply a
 * default), each within the client's ceiling and, when a resource is named, offered by that resource.
 */
function grantedScopes(client: Client, requestedScope: string | undefined, resource: Resource | undefined): string[] {
  if (SELF_REGISTERED.has(client.registration_source ?? '')) {
    // A dynamically registered client chose its own ceiling; machine access needs one an administrator set.
    throw new InvalidScope(
      `client_credentials is not available to clients registered through ${client.registration_source}: ` +
        'an administrator must register the client and set its scope',
    );
  }
  const ceiling = scopeTokens(client.scope).filter((s) => s !== OFFLINE_ACCESS);
  if (ceiling.length === 0) {
    throw new InvalidScope('the client has no scope ceiling; an administrator must set its scope before it can use client_credentials');
  }
  const catalog = resource ? new Set(resource.scopes.map((s) => s.name)) : undefined;
  if (requestedScope === undefined) {
    const scopes = catalog ? ceiling.filter((s) => catalog.has(s)) : ceiling;
    if (scopes.length === 0) throw new InvalidScope(`none of the client's scopes is offered by the resource ${echo(resource!.uri)}`);
    return scopes;
  }
  const requested = scopeTokens(requestedScope);
  if (requested.some((s) => !SCOPE_TOKEN.test(s))) throw new InvalidScope('scope contains invalid characters');
  // A generic client library may add offline_access; there is simply no refresh token to give.
  const scopes = requested.filter((s) => s !== OFFLINE_ACCESS);
  if (scopes.length === 0) throw new InvalidScope('scope names no scope this grant can issue');
  const beyond = scopes.filter((s) => !ceiling.includes(s));
  if (beyond.length) throw new InvalidScope(`scope not allowed for this client: ${beyond.join(' ')}`);
  const unknown = catalog ? scopes.filter((s) => !catalog.has(s)) : [];
  if (unknown.length) throw new InvalidScope(`scope not offered by the resource: ${unknown.join(' ')}`);
  return scopes;
}

/** RFC 8707 §2: the resource the token is for, by URI (or, as a convenience, by slug). */
async function targetResource(runtime: RuntimeApi, resource: string | undefined): Promise<Resource | undefined> {
  if (resource === undefined) return undefined;
  const found = await runtime.use('resources').resolve(resource);
  // RFC 8707 §2.2 leaves the description free; repeating what was received shows a typo or a stray encoding.
  if (!found) throw new InvalidTarget(`resource ${echo(resource)} is not registered`);
  if (found.backend_kind !== 'mint') {
    throw new InvalidTarget(`resource ${echo(resource)} is brokered: its tokens come from the upstream provider`);
  }
  return found;
}

/**
 * `client_credentials` (RFC 6749 §4.4): a confidential client gets an access token for itself (`sub` = client_id),
 * audience-bound to the named resource or, without one, to this issuer. No refresh token (§4.4.3). The kernel has
 * already authenticated the client, checked it lists the grant and refused public clients; it writes the response
 * and the `token_issued` audit event.
 */
export function clientCredentialsGrant(runtime: () => RuntimeApi, tokenTtl: number): GrantHandler {
  return defineGrant({
    allowPublicClients: false,
    tokenTtl,
    async handle(ctx) {
      const { client, params } = ctx;
      const rt = runtime();
      const resource = await targetResource(rt, params.resource);
      const scope = grantedScopes(client, params.scope, resource).join(' ');
      const audience = resource ? [resource.uri] : [rt.config.server.issuer];
      return { accessToken: await ctx.issueAccessToken({ subject: client.client_id, audience, scope }) };
    },
  });
}
