/**
 * introspection: `POST /oauth/introspect` (RFC 7662) for access, machine and refresh tokens.
 * - Confidential client authentication only (public clients → 401 invalid_client); `token` required,
 *   `token_type_hint` optional.
 * - Calls the `introspectToken` taps (its own recognises our JWTs and checks the denylist, access-tokens.ts; oauth's
 *   its refresh tokens),
 *   then the ownership rule (ownership.ts): the token's client, or a client listed in `policy.runtime.client_ids`
 *   of a resource in the token's `aud`; anyone else, and any revoked, expired, tampered or unknown token, gets
 *   `{"active": false}`. Calls `introspectionResponse` for active tokens.
 * Taps: `introspectToken` (our JWTs), `discoveryMetadata` (introspection_endpoint,
 * introspection_endpoint_auth_methods_supported).
 * Uses service `resources`. Metric: authserver_introspections_total{result}.
 */
import { definePlugin } from 'authplane';
import { tapAccessTokenIntrospection } from './access-tokens.js';
import { introspectionEndpoint } from './endpoint.js';

export const INTROSPECTION_PATH = '/oauth/introspect';

export const introspection = definePlugin({
  name: 'introspection',
  dependsOn: ['resources'],
  register(api) {
    const outcomes = api.metrics.counter({
      name: 'authserver_introspections_total',
      help: 'Introspection requests answered, by result (active, inactive)',
      labelNames: ['result'] as const,
    });
    tapAccessTokenIntrospection(api);
    api.route('public', 'POST', INTROSPECTION_PATH, introspectionEndpoint(api.runtime, outcomes));
    const issuer = api.config.server.issuer.replace(/\/+$/, '');
    api.hooks.discoveryMetadata.tap(api.name, (doc) => {
      const methods = ((doc.token_endpoint_auth_methods_supported as string[] | undefined) ?? []).filter((m) => m !== 'none');
      return Object.assign({}, doc, {
        introspection_endpoint: `${issuer}${INTROSPECTION_PATH}`,
        ...(methods.length ? { introspection_endpoint_auth_methods_supported: methods } : {}),
      });
    });
  },
});
