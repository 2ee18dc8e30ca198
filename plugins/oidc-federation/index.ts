/**
 * oidc-federation: sign in through upstream OpenID Connect providers (Google, Okta, Entra ID, Auth0…), several at
 * once, each an entry of the `identityProviders` registry with paths of its own.
 * - OpenID Connect Core 1.0 §3.1 (authorization code flow) with PKCE (RFC 7636, S256), `state` and `nonce`;
 *   code exchange and ID token checks (issuer, audience, nonce, signature, expiry) by openid-client.
 * - Routes: GET /oidc/:provider/start (the login page's "Sign in with …" button), GET /oidc/:provider/callback (the
 *   redirect URI to register upstream). Both go through the oauth plugin's `interactions` service, so a federated
 *   login continues into authorize and consent exactly like a local one.
 * - Discovery documents are read and checked at start; a provider that fails stops the server, naming it.
 * - Users: found by (provider, sub) through the `users` service; created on a first login; an email another user
 *   has is refused (409), never linked — `authserver admin user link` links deliberately. Role rules per provider.
 * - `showLocalLogin: false` disables the `local` provider (its form and `POST /login`).
 * - Outbound calls only to the issuer's discovery document and the token and JWKS endpoints it names, through the
 *   kernel's guarded request (no redirects, deadline, byte cap, SSRF guard).
 * - Admin API `GET /admin/federation/providers` (read only: the configured providers, their discovery and last JWKS
 *   fetch) and the console page `federation` (admin-ui/ap-federation-page.ts).
 * - Table `oidc_login_attempts` (nonce and PKCE verifier per login in flight), purge target `oidc_login_attempts`.
 * - Metrics: authserver_oidc_exchange_duration_seconds{provider,outcome}, authserver_oidc_jwks_cache_hits_total and
 *   authserver_oidc_jwks_cache_misses_total{provider}. Audit: user_oidc_login, user_oidc_login_failed.
 * Uses services `users` and `interactions`.
 */
import { definePlugin, readQuery, PageError, type RuntimeApi } from 'authplane';
import { LoginAttempts } from './attempts.js';
import { oidcFederationErrors } from './errors.js';
import { oidcFederationMigrations } from './migrations.js';
import { upstreamIdentityProvider } from './provider.js';
import { oidcFederationSchema } from './schema.js';
import { describe, Upstream } from './upstream.js';

export type { OidcFederationOptions, UpstreamProviderOptions } from './schema.js';

const LOCALHOST_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export const oidcFederation = definePlugin({
  name: 'oidc-federation',
  dependsOn: ['users', 'oauth'],
  schema: oidcFederationSchema,
  errors: oidcFederationErrors,
  register(api, options) {
    const issuerHost = new URL(api.config.server.issuer).hostname;
    const { outbound } = options;
    if (outbound.allowPrivateAddresses && !LOCALHOST_NAMES.has(issuerHost)) {
      throw oidcFederationErrors.PRIVATE_ADDRESSES(
        `oidc-federation.outbound.allowPrivateAddresses lets this server call internal addresses; it is allowed only with a localhost issuer, not ${issuerHost}`,
      );
    }
    const seen = new Set<string>();
    for (const provider of options.providers) {
      if (seen.has(provider.id)) throw oidcFederationErrors.DUPLICATE_PROVIDER(`two upstream providers have the id '${provider.id}'`);
      seen.add(provider.id);
      if (new URL(provider.issuer).protocol === 'http:' && !outbound.allowPrivateAddresses) {
        throw oidcFederationErrors.INSECURE_ISSUER(`provider '${provider.id}': issuer ${provider.issuer} is not https`);
      }
    }

    api.migrations(oidcFederationMigrations);
    const interactions = api.use('interactions');
    const runtime = api.runtime;
    const attempts = new LoginAttempts(runtime);
    const exchangeDuration = api.metrics.histogram({
      name: 'authserver_oidc_exchange_duration_seconds',
      help: 'Authorization code exchanges with an upstream OpenID provider, ID token checks included, by provider and outcome',
      labelNames: ['provider', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    const jwksHits = api.metrics.counter({
      name: 'authserver_oidc_jwks_cache_hits_total',
      help: "ID tokens checked with an upstream provider's signing keys from the cache, by provider",
      labelNames: ['provider'] as const,
    });
    const jwksMisses = api.metrics.counter({
      name: 'authserver_oidc_jwks_cache_misses_total',
      help: "ID tokens whose check fetched the upstream provider's JWKS (first use, expired cache or an unknown key id), by provider",
      labelNames: ['provider'] as const,
    });

    const upstreams = new Map<string, Upstream>();
    for (const provider of options.providers) {
      const upstream = new Upstream(provider, {
        outbound,
        environmentVariable: (name) => api.environmentVariable(name),
        now: () => runtime().now(),
        clockTolerance: options.clockTolerance,
        jwks: (id, outcome) => (outcome === 'hit' ? jwksHits : jwksMisses).inc({ provider: id }),
      });
      upstreams.set(provider.id, upstream);
      api.registries.identityProviders.register(
        provider.id,
        upstreamIdentityProvider(upstream, { runtime, users: () => runtime().use('users'), attempts, exchangeDuration }),
      );
    }
    if (!options.showLocalLogin) interactions.disable('local');

    const ours = (name: string) => {
      if (!upstreams.has(name)) throw new PageError(404, 'Not found', `There is no sign-in method called '${name}'.`);
      return name;
    };
    const page = { errors: 'page' } as const;
    api.route('public', 'GET', '/oidc/:provider/start', async (ctx) => {
      // Parameters first: a repeated one is refused whichever provider is named.
      const returnTo = readQuery(ctx).return_to;
      await interactions.begin(ctx, ours(ctx.params.provider as string), returnTo);
    }, page);
    api.route('public', 'GET', '/oidc/:provider/callback', async (ctx) => {
      const params = readQuery(ctx);
      await interactions.complete(ctx, ours(ctx.params.provider as string), params);
    }, page);

    // Read only: the providers come from the config. What the console's Federated providers page lists.
    api.route('admin', 'GET', '/admin/federation/providers', (ctx) => {
      ctx.body = {
        providers: [...upstreams.values()].map((upstream) => ({
          id: upstream.options.id,
          display_name: upstream.options.displayName,
          issuer: upstream.options.issuer,
          client_id: upstream.options.clientId,
          scopes: [...new Set(['openid', ...(upstream.options.scopes ?? ['openid', 'email', 'profile'])])],
          client_authentication: upstream.options.clientSecretEnv ? (upstream.options.tokenEndpointAuthMethod ?? 'client_secret_basic') : 'none',
          role_rules: upstream.options.roles?.length ?? 0,
          ...upstream.status,
        })),
        local_login: options.showLocalLogin,
      };
    });
    api.registries.adminPages.register('federation', {
      path: 'federation',
      title: 'Federated providers',
      icon: 'link',
      module: new URL('./admin-ui/ap-federation-page.ts', import.meta.url).href,
      element: 'ap-federation-page',
      permission: 'admin',
      section: 'Security',
      order: 60,
    });

    api.registries.purgeTargets.register('oidc_login_attempts', {
      description: 'upstream sign-ins that expired or came back',
      deletes: ({ now }) => [
        { table: 'oidc_login_attempts', key: 'state_hash', where: (q) => q.where('expires_at', '<', now.getTime()) },
        { table: 'oidc_login_attempts', key: 'state_hash', where: (q) => q.whereNotNull('consumed_at') },
      ],
    });

    return {
      // At start, not init: `authserver admin …` commands boot without calling any upstream.
      async start(rt: RuntimeApi) {
        for (const provider of options.providers) {
          if (provider.clientSecretEnv && !api.environmentVariable(provider.clientSecretEnv)) {
            throw oidcFederationErrors.SECRET_MISSING(`provider '${provider.id}': the environment variable ${provider.clientSecretEnv} (clientSecretEnv) is not set`);
          }
        }
        const results = await Promise.allSettled([...upstreams.values()].map((upstream) => upstream.discover()));
        const failed = results.flatMap((result, i) => {
          const provider = options.providers[i]!;
          return result.status === 'rejected' ? [`provider '${provider.id}' (${provider.issuer}): ${describe(result.reason)}`] : [];
        });
        if (failed.length) throw oidcFederationErrors.DISCOVERY_FAILED(failed.join('; '));
        rt.log.info({ providers: options.providers.map((p) => p.id) }, 'upstream OpenID providers discovered');
      },
    };
  },
});
