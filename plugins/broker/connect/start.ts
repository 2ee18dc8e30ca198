/**
 * `GET /connect/{provider}?resource=&return_url=&scope=`: the start of a connect. Checks the request (an `oauth`
 * provider, a broker resource naming it, a return URL allowlisted on the resource, scopes of the resource), sends a
 * browser without a session to the login page and back, then redirects to the provider's authorization endpoint
 * (RFC 6749 §4.1.1) with PKCE S256 (RFC 7636) and a sealed state (state.ts).
 */
import type { Context } from 'koa';
import { OAuthError, PageError, readQuery, type FormParams } from 'authplane';
import type { Resource } from '../../resources/types.js';
import { authorizeUrl, createPkce } from '../authorize-url.js';
import type { OAuthProvider } from '../types.js';
import type { ConnectDeps } from './deps.js';
import { CONNECT_STATE_TTL_MS, sealState } from './state.js';

const NO_STORE = { headers: { 'Cache-Control': 'no-store' } };

const badRequest = (message: string) => new PageError(400, 'Cannot connect', message, NO_STORE);

/** The query, one value per parameter; a repeated one is an error page like the others. */
export function connectQuery(ctx: Context): FormParams {
  try {
    return readQuery(ctx);
  } catch (err) {
    if (err instanceof OAuthError) throw new PageError(400, 'Cannot connect', err.message, { ...NO_STORE, cause: err });
    throw err;
  }
}

/** The `oauth` provider a connect URL names by slug; anything else is an error page. */
export async function connectProvider(deps: ConnectDeps, slug: string): Promise<OAuthProvider> {
  const provider = await deps.providers.get(slug);
  // By slug only: the connect and callback URLs (registered as redirect URIs upstream) name it that way.
  if (!provider || provider.slug !== slug) throw new PageError(404, 'Unknown provider', `There is no provider '${slug}' to connect.`, NO_STORE);
  if (provider.protocol !== 'oauth') {
    throw badRequest(`${provider.display_name} does not connect user accounts (its protocol is ${provider.protocol}).`);
  }
  return provider;
}

async function brokerResource(deps: ConnectDeps, provider: OAuthProvider, ref: string | undefined): Promise<Resource> {
  if (!ref) throw badRequest('The connect link names no resource (parameter resource).');
  const resource = await deps.resources().resolve(ref);
  if (!resource) throw new PageError(404, 'Unknown resource', `There is no resource '${ref}'.`, NO_STORE);
  if (resource.backend_kind !== 'broker') throw badRequest(`${resource.display_name} does not use an upstream account.`);
  if (resource.broker_provider_id !== provider.slug) {
    throw badRequest(`${resource.display_name} does not use ${provider.display_name} accounts.`);
  }
  return resource;
}

/** Exactly one of the resource's allowlisted return URLs, and an absolute http(s) URL, or an error page. */
function returnUrl(resource: Resource, given: string | undefined): string | undefined {
  if (given === undefined) return undefined;
  const allowed = resource.policy.connect?.allowed_return_urls ?? [];
  if (!allowed.includes(given)) {
    throw badRequest(`The return URL is not one ${resource.display_name} allows (policy.connect.allowed_return_urls); nothing was connected.`);
  }
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw badRequest(`The return URL allowed for ${resource.display_name} is not an absolute http(s) URL; ask its operator to correct it.`);
  }
  return given;
}

/**
 * The upstream scopes to ask for: the union of the chosen resource scopes' `upstream` mappings (all the resource's
 * scopes unless `scope` names some), else the provider's default scopes.
 */
function upstreamScopes(resource: Resource, provider: OAuthProvider, scope: string | undefined): string[] {
  const byName = new Map(resource.scopes.map((s) => [s.name, s]));
  const names = scope === undefined ? [...byName.keys()] : [...new Set(scope.split(' ').filter(Boolean))];
  const unknown = names.filter((name) => !byName.has(name));
  if (unknown.length) throw badRequest(`${resource.display_name} has no scope ${unknown.map((n) => `'${n}'`).join(', ')}.`);
  const mapped = [...new Set(names.flatMap((name) => byName.get(name)!.upstream ?? []))];
  return mapped.length ? mapped : [...provider.config.default_scopes];
}

export function connectStart(deps: ConnectDeps) {
  return async (ctx: Context): Promise<void> => {
    const params = connectQuery(ctx);
    const provider = await connectProvider(deps, ctx.params.provider as string);
    const resource = await brokerResource(deps, provider, params.resource);
    const back = returnUrl(resource, params.return_url);
    const scopes = upstreamScopes(resource, provider, params.scope);
    // Checked before the login, so a broken link fails at once rather than after the person has signed in.
    const userId = await deps.interactions.signedInUser(ctx);
    if (!userId) return deps.interactions.loginRedirect(ctx, ctx.url);

    const pkce = provider.config.pkce ? createPkce() : undefined;
    const nonce = deps.nonces.issue(ctx, provider.slug);
    const state = await sealState(deps.box(), {
      userId,
      providerId: provider.id,
      providerSlug: provider.slug,
      resourceId: resource.id,
      resourceSlug: resource.slug,
      ...(back ? { returnUrl: back } : {}),
      upstreamScopes: scopes,
      ...(pkce ? { codeVerifier: pkce.verifier } : {}),
      expiresAt: deps.now() + CONNECT_STATE_TTL_MS,
      nonce,
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(
      authorizeUrl(provider, {
        redirectUri: deps.callbackUrl(provider.slug),
        state,
        scopes,
        ...(pkce ? { codeChallenge: pkce.challenge } : {}),
      }),
    );
  };
}
