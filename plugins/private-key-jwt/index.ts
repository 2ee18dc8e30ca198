/**
 * private-key-jwt: client authentication with a signed JWT (RFC 7523 §2.2, §3; OpenID Connect Core §9
 * `private_key_jwt`), at the token, introspection and revocation endpoints.
 * - Registers `clientAuthMethods` `private_key_jwt`: `client_assertion_type` =
 *   `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, `client_assertion` a JWT with `iss` = `sub` =
 *   client_id, `aud` our issuer or the endpoint's URL, `exp` within `maxAssertionLifetime`, `jti` single use;
 *   ES256, RS256, PS256 or EdDSA, verified against the client's registered `jwks` or `jwks_uri` (client metadata,
 *   set through the clients plugin's admin API, CLI or DCR).
 * - Workload identity: a token from a trusted issuer marked `workload` (a Kubernetes service-account token, a CI
 *   job's OIDC token) authenticates the client its workload rules map it to; the request names that `client_id`.
 *   No secret is stored anywhere. Such tokens are reused by design (the platform renews them), so their `jti` is not
 *   single use; `maxWorkloadTokenLifetime` bounds them.
 * - Taps `discoveryMetadata`: `token_endpoint_auth_signing_alg_values_supported` (and the introspection and
 *   revocation ones when those endpoints are advertised).
 * Uses services `trustedIssuers` (JWKS cache, jti store, workload rules) and `clients` (a successful authentication
 * is a use of the client, recorded as `last_used_at` so DCR hygiene keeps it): hence the dependencies.
 * Metrics: authplane_xaa_client_assertions_total{kind}, authplane_xaa_client_assertions_rejected_total{reason}.
 */
import { definePlugin } from 'authplane';
import { clientAssertionAuthenticator, PRIVATE_KEY_JWT } from './authenticator.js';
import { privateKeyJwtSchema } from './schema.js';

export type { PrivateKeyJwtOptions } from './schema.js';

export const privateKeyJwt = definePlugin({
  name: 'private-key-jwt',
  dependsOn: ['trusted-issuers', 'clients'],
  schema: privateKeyJwtSchema,
  register(api, options) {
    api.registries.clientAuthMethods.register(PRIVATE_KEY_JWT, clientAssertionAuthenticator(api, options));
    // After the introspection and revocation plugins' taps, so their endpoints are known when this one runs.
    api.hooks.discoveryMetadata.tap({ name: api.name, stage: 10 } as never, (doc) => {
      const algorithms = [...api.use('trustedIssuers').algorithms];
      return Object.assign({}, doc, {
        token_endpoint_auth_signing_alg_values_supported: algorithms,
        ...(doc.introspection_endpoint ? { introspection_endpoint_auth_signing_alg_values_supported: algorithms } : {}),
        ...(doc.revocation_endpoint ? { revocation_endpoint_auth_signing_alg_values_supported: algorithms } : {}),
      });
    });
  },
});
