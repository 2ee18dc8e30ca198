/**
 * The token-exchange backend for `broker` resources: an MCP server (the acting client) exchanges the user's token
 * for the user's upstream access token. After the grant's common gates (subject token, target, no actor_token, the
 * target's exchange policy, the chain's origin on record), in order:
 * 1–2. the subject scope ceiling and agent attestation (agent-gates.ts);
 * 3. the upstream credential: the user's grant with the resource's provider, covering the upstream scopes the asked
 *    scopes map to (`oauth`), or the operator's own (`api_key`, `service_account`: operator-credentials.ts);
 * 4. a fresh access token: refreshed when near expiry (fresh-grant.ts);
 * 5. the answer through `ctx.vendUpstreamToken`: the provider's token and token_type, `scope` = the broker
 *    resource's scopes vended, `audience` = the resource.
 * What the user can fix is `consent_required` with the link that fixes it; every refusal is audited and counted
 * through the grant (`request.deny`).
 */
import { AccessDenied, ConsentRequired, InvalidScope, ServerError, TemporarilyUnavailable, type GrantResult } from 'authplane';
import type { ExchangeBackendRequest } from '../../token-exchange/types.js';
import { BrokerKeyError } from '../crypto/local-box.js';
import type { GrantInfo, GrantStore } from '../grants/store.js';
import type { BrokerProvider, OAuthProvider, ProviderDirectory, UpstreamTokens } from '../types.js';
import { attestAgent, type AgentGateServices } from './agent-gates.js';
import { connectConsentUrl } from './consent-urls.js';
import type { FreshGrant, FreshGrants } from './fresh-grant.js';
import type { OperatorCredentials, OperatorToken } from './operator-credentials.js';

export interface VendBackendDependencies {
  grants: GrantStore;
  providers: ProviderDirectory;
  freshGrants: FreshGrants;
  operator: OperatorCredentials;
  /** Read per request: the resources and consents services, the issuer, the clock. */
  services: () => AgentGateServices & { now: () => number };
}

interface Credential {
  tokens: UpstreamTokens;
  grant?: GrantInfo;
  refresh?: 'success' | 'raced';
}

const uncovered = (needed: readonly string[], granted: readonly string[]) => needed.filter((s) => !granted.includes(s));

export function vendBackend(deps: VendBackendDependencies) {
  return async function vend(request: ExchangeBackendRequest): Promise<GrantResult> {
    const { ctx, target } = request;
    const services = deps.services();
    const provider = target.broker_provider_id ? await deps.providers.get(target.broker_provider_id) : undefined;
    if (!provider) {
      // The broker refuses such a resource and a provider's deletion while a resource names it; reaching this is a bug.
      throw new ServerError('the broker resource names no provider', { cause: new Error(`resource ${target.slug} names provider ${String(target.broker_provider_id)}, which does not exist`) });
    }
    const { scopes } = await attestAgent(request, services);
    const upstreamScopes = [...new Set(target.scopes.filter((s) => scopes.includes(s.name)).flatMap((s) => s.upstream ?? []))];

    const credential =
      provider.protocol === 'oauth'
        ? await userCredential(request, deps, provider, scopes, upstreamScopes)
        : await operatorCredential(request, deps, provider, upstreamScopes);

    const { tokens } = credential;
    const expiresIn = tokens.expires_at === undefined ? undefined : Math.max(1, Math.floor((tokens.expires_at - services.now()) / 1000));
    const accessToken = ctx.vendUpstreamToken({
      token: tokens.access_token,
      tokenType: tokens.token_type,
      ...(expiresIn !== undefined ? { expiresIn } : {}),
      scope: scopes.join(' '),
      audience: [target.uri],
      provider: provider.slug,
    });
    return {
      accessToken,
      audit: {
        detail: {
          resource: target.slug,
          protocol: provider.protocol,
          upstream_scopes: tokens.scopes,
          ...(credential.grant ? { grant_id: credential.grant.id, grant_version: credential.grant.version } : {}),
          ...(credential.refresh ? { refresh: credential.refresh } : {}),
        },
      },
    };
  };
}

/** `oauth`: the user's own grant with the provider, fresh. */
async function userCredential(
  request: ExchangeBackendRequest,
  deps: VendBackendDependencies,
  provider: OAuthProvider,
  scopes: readonly string[],
  upstreamScopes: readonly string[],
): Promise<Credential> {
  const { ctx, target, origin } = request;
  const userId = origin.userId;
  if (userId === undefined) {
    request.deny(
      'subject_not_user',
      new AccessDenied('the subject token was issued to a client for itself: there is no user whose upstream grant could be used'),
    );
  }
  const issuer = deps.services().issuer;
  const connect = (why: string): never =>
    request.deny(
      'consent_required',
      new ConsentRequired(`connect your ${provider.display_name} account first`, {
        consentUrl: connectConsentUrl(issuer, provider.slug, target.slug),
        cause: 'consent_missing',
      }),
      { cause: 'consent_missing', bound: 'upstream_grant', provider: provider.slug, why },
    );
  const coverUpstream = (granted: readonly string[]) => {
    const lacking = uncovered(upstreamScopes, granted);
    if (!lacking.length) return;
    request.deny(
      'consent_required',
      new ConsentRequired(`your ${provider.display_name} account is connected without ${lacking.join(' ')}; connect it again to grant it`, {
        consentUrl: connectConsentUrl(issuer, provider.slug, target.slug, scopes),
        cause: 'scope_insufficient',
      }),
      { cause: 'scope_insufficient', bound: 'upstream_scope', provider: provider.slug, missing_upstream: lacking },
    );
  };

  const opened = await readGrant(deps.grants, userId, provider);
  if (!opened) return connect('no_grant');
  coverUpstream(opened.grant.scopes);
  const fresh: FreshGrant = await deps.freshGrants.fresh(provider, opened, {
    clientId: ctx.client.client_id,
    ip: ctx.request.ip,
    requestId: ctx.request.requestId,
  });
  if (fresh.kind === 'missing') return connect(fresh.why);
  if (fresh.kind === 'unavailable') throw unavailable(provider);
  // A refresh may come back with fewer scopes than the grant had (RFC 6749 §6 lets the provider narrow them).
  coverUpstream(fresh.tokens.scopes);
  return { tokens: fresh.tokens, grant: fresh.grant, ...(fresh.refresh ? { refresh: fresh.refresh } : {}) };
}

async function readGrant(grants: GrantStore, userId: string, provider: OAuthProvider) {
  try {
    return await grants.open(userId, provider.id);
  } catch (err) {
    if (!(err instanceof BrokerKeyError)) throw err;
    // Its key is not configured (a rotation half done) or the row was altered: the operator's to fix, see the log.
    throw new ServerError('the stored upstream grant cannot be read', { cause: err });
  }
}

/** `api_key`, `service_account`: the operator's credential, no user grant. */
async function operatorCredential(
  request: ExchangeBackendRequest,
  deps: VendBackendDependencies,
  provider: Exclude<BrokerProvider, OAuthProvider>,
  upstreamScopes: readonly string[],
): Promise<Credential> {
  const found: OperatorToken =
    provider.protocol === 'api_key' ? deps.operator.apiKey(provider) : await deps.operator.serviceAccount(provider, upstreamScopes);
  if (found.kind === 'unavailable') throw unavailable(provider);
  const lacking = uncovered(upstreamScopes, found.tokens.scopes);
  if (lacking.length) {
    // No person can grant more here: the operator's credential does not carry them.
    request.deny('scope_exceeded', new InvalidScope(`the ${provider.display_name} credential does not carry ${lacking.join(' ')}`), { missing_upstream: lacking });
  }
  return { tokens: found.tokens };
}

function unavailable(provider: BrokerProvider): TemporarilyUnavailable {
  return new TemporarilyUnavailable(`${provider.display_name} cannot be reached for a token right now; try again later`);
}
