/**
 * The gates of a vend that concern the user's token and the agent presenting it, before anything upstream:
 * 1. the subject scope ceiling: the broker resource's scopes asked for must be in the user's token — the user
 *    consented to them when authorizing the client for the agent's resource, whose operator lists the broker
 *    resource's scope names there too;
 * 2. agent attestation: the acting client runs the MCP server the user's token is for (that resource's
 *    `policy.runtime.client_ids`), and the user's consent behind the token still stands.
 * A scope the user could consent to is `consent_required` with a link to our authorization endpoint; anything
 * no consent can fix is an OAuth error.
 */
import { AccessDenied, ConsentRequired, echo, InvalidScope } from 'authplane';
import type { UserConsents } from '../../oauth/types.js';
import type { Resource, ResourceRegistry } from '../../resources/types.js';
import type { ExchangeBackendRequest } from '../../token-exchange/types.js';
import { authorizeConsentUrl } from './consent-urls.js';

export const scopeTokens = (scope: string | undefined) => [...new Set((scope ?? '').split(' ').filter(Boolean))];

export interface AgentGateServices {
  issuer: string;
  resources: ResourceRegistry;
  consents: UserConsents;
}

export interface AttestedAgent {
  /** The broker resource's scope names this vend is for. */
  scopes: string[];
  /** The mint resource the user's token is for: the MCP server the acting client runs. */
  agentResource: Resource;
}

/** The mint resource the subject token is for (its first audience), if registered. */
async function subjectResource(request: ExchangeBackendRequest, resources: ResourceRegistry): Promise<Resource | undefined> {
  const audience = [request.subject.aud].flat()[0];
  if (typeof audience !== 'string') return undefined;
  const resource = await resources.resolve(audience);
  return resource?.backend_kind === 'mint' ? resource : undefined;
}

/** Gate 1. Omitted `scope`: every scope of the broker resource the token carries. */
function requestedScopes(request: ExchangeBackendRequest, held: readonly string[]): string[] {
  const { target } = request;
  const catalog = new Set(target.scopes.map((s) => s.name));
  if (request.scopes === undefined) {
    const carried = held.filter((s) => catalog.has(s));
    if (carried.length === 0 && catalog.size > 0) {
      request.deny('scope_exceeded', new InvalidScope("none of the subject token's scopes is offered by the target; name the scopes to ask for in scope"));
    }
    return carried;
  }
  const requested = [...new Set(request.scopes)];
  const unknown = requested.filter((s) => !catalog.has(s));
  if (unknown.length) request.deny('scope_exceeded', new InvalidScope(`scope not offered by the target: ${unknown.join(' ')}`), { requested });
  return requested;
}

export async function attestAgent(request: ExchangeBackendRequest, services: AgentGateServices): Promise<AttestedAgent> {
  const { ctx, subject, origin } = request;
  const held = scopeTokens(subject.scope);
  const scopes = requestedScopes(request, held);
  const agentResource = await subjectResource(request, services.resources);

  const missing = scopes.filter((s) => !held.includes(s));
  if (missing.length) {
    // The user can consent to a scope only where the agent's resource offers it; elsewhere a consent link leads nowhere.
    const offered = new Set(agentResource?.scopes.map((s) => s.name) ?? []);
    const unoffered = missing.filter((s) => !offered.has(s));
    if (!agentResource || unoffered.length) {
      request.deny(
        'scope_exceeded',
        new InvalidScope(
          `scope beyond the subject token's that its resource does not offer, so no consent can add it: ${(agentResource ? unoffered : missing).join(' ')}`,
        ),
        { requested: scopes },
      );
    }
    request.deny(
      'consent_required',
      new ConsentRequired(`the user has not consented to ${missing.join(' ')} for ${agentResource.uri}`, {
        consentUrl: authorizeConsentUrl(services.issuer, agentResource.uri, [...held, ...missing]),
        cause: 'scope_insufficient',
      }),
      { cause: 'scope_insufficient', bound: 'subject_scope', missing },
    );
  }

  const acting = ctx.client.client_id;
  if (!agentResource || !(agentResource.policy.runtime?.client_ids ?? []).includes(acting)) {
    const audience = [subject.aud].flat()[0];
    request.deny(
      'agent_not_attested',
      new AccessDenied(
        agentResource
          ? `client ${echo(acting)} is not a runtime client of ${echo(agentResource.uri)}, the resource the subject token is for`
          : 'the subject token is not for a registered resource this server mints tokens for, so no agent can be attested',
      ),
      { agent_resource: typeof audience === 'string' ? audience : null },
    );
  }

  if (origin.userId !== undefined) {
    // The consent the token rests on: to the client and resource the chain started from. For a token issued directly
    // (the usual case) that is the agent's resource and the token's scopes; a token from an earlier exchange had
    // its scopes checked against that consent when it was made, so here the consent must merely still exist.
    const originResource = origin.audience[0] ?? '';
    const direct = originResource === [subject.aud].flat()[0];
    const needed = direct ? held : [];
    if (!(await services.consents.stands(origin.userId, origin.clientId, originResource, needed))) {
      request.deny(
        'consent_required',
        new ConsentRequired(`the user's consent for ${originResource} no longer covers the subject token`, {
          consentUrl: authorizeConsentUrl(services.issuer, originResource, needed),
          cause: 'consent_missing',
        }),
        { cause: 'consent_missing', bound: 'agent_consent', consent_client_id: origin.clientId },
      );
    }
  }
  return { scopes, agentResource };
}
