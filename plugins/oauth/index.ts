/**
 * oauth: the authorization-code flow every MCP client walks.
 * RFCs: OAuth 2.1 (draft) / RFC 6749 §4.1 and §6, RFC 7636 (PKCE, S256 only), RFC 8707 (`resource`), RFC 9068
 * (JWT access tokens, issued by the kernel), RFC 9207 (`iss` in authorization responses), RFC 8252 §7.3 (loopback).
 * Routes: GET /oauth/authorize, GET|POST /login, GET /login/:name, GET|POST /login/:name/callback, GET|POST
 * /logout, GET|POST /consent; admin: user grants, force-logout, consent revocation. Registers grant types
 * `authorization_code` and `refresh_token`, identity provider `local` (email and password), purge targets
 * `authorization_codes`, `refresh_tokens`, `sessions`, `login_failures`. Taps `discoveryMetadata`.
 * Provides services `interactions` (how every login ends; `begin`/`complete` for a provider serving paths of its
 * own, `disable` to take one off; also `signedInUser`, `allowReturnPath` and `loginRedirect` for other plugins'
 * browser routes that need a signed-in user) and `consents` (whether a user's consent still
 * stands). Uses services `clients`, `resources`, `users`.
 */
import { definePlugin, type RuntimeApi } from 'authplane';
import { oauthCore0001 } from '../../migrations/oauth/0001_oauth_core.js';
import { issuanceFamilyRefs0002 } from '../../migrations/oauth/0002_issuance_family_refs.js';
import { oauthPurgeIndexes0012 } from '../../migrations/oauth/0012_purge_indexes.js';
import { grantsPaging0003 } from '../../migrations/oauth/0003_grants_paging.js';
import { registerGrantAdmin } from './admin.js';
import { registerAuthorize } from './authorize.js';
import { consentService } from './consent-service.js';
import { createOAuthState } from './context.js';
import { oauthErrors } from './errors.js';
import { authorizationCodeGrant } from './grant-code.js';
import { refreshTokenGrant } from './grant-refresh.js';
import { createInteractions } from './interactions.js';
import { localProvider } from './local-provider.js';
import { registerLogin } from './login.js';
import { registerPurgeTargets } from './purge.js';
import { ReturnPaths } from './return-paths.js';
import { SESSION_SECRET_ENV, sessionSecret } from './session-secret.js';
import { tapRefreshTokenHooks } from './token-hooks.js';
import { oauthSchema, type OAuthOptions } from './schema.js';

export type { OAuthOptions } from './schema.js';
export type { Interactions } from './interactions.js';
export type { UserConsents } from './types.js';

export const oauth = definePlugin({
  name: 'oauth',
  dependsOn: ['clients', 'resources', 'users'],
  schema: oauthSchema,
  errors: oauthErrors,
  env: [SESSION_SECRET_ENV],
  register(api, options) {
    const session = sessionSecret(api.env, api.config.server.issuer);
    api.migrations([oauthCore0001, issuanceFamilyRefs0002, grantsPaging0003, oauthPurgeIndexes0012]);
    const state = createOAuthState(api, options, session.secret);
    const issuer = api.config.server.issuer.replace(/\/+$/, '');
    registerAuthorize(api, state);
    const returnPaths = new ReturnPaths();
    const interactions = createInteractions(state, issuer, () => session.secret, returnPaths);
    api.provide('interactions', interactions);
    api.provide('consents', consentService(api, state));
    api.registries.identityProviders.register('local', localProvider(state));
    registerLogin(api, state, interactions, returnPaths);
    registerGrantAdmin(api, state);
    registerPurgeTargets(api, options);
    tapRefreshTokenHooks(api, state);
    api.registries.grantTypes.register('authorization_code', authorizationCodeGrant(state, api.config.tokens.accessTokenTtl));
    api.registries.grantTypes.register('refresh_token', refreshTokenGrant(state, api.config.tokens.accessTokenTtl));
    api.hooks.discoveryMetadata.tap(api.name, (doc) => ({
      ...doc,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    }));
    const warning = session.warning;
    return {
      // Every plugin has registered its return paths: one added later would work on some requests and not others.
      async init() {
        returnPaths.close();
      },
      // Said by a server that serves only, like the kernel's own warnings about serving.
      async start(rt: RuntimeApi) {
        if (warning) rt.log.warn(warning);
        if (interactions.enabled().length === 0) {
          rt.log.warn('no way to log in: every identity provider is disabled (local login is off and no other provider is registered); /login offers nothing');
        }
      },
    };
  },
});
