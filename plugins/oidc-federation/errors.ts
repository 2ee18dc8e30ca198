/** The oidc-federation plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const oidcFederationErrors = defineErrors('oidc-federation', {
  DISCOVERY_FAILED: "An upstream provider's discovery document could not be read or is unusable at start (unreachable, not JSON, another `issuer`, no token endpoint or JWKS, no `code` response type, no S256 PKCE); the message names the provider and what failed.",
  SECRET_MISSING: "The environment variable an upstream provider's `clientSecretEnv` names is not set.",
  INSECURE_ISSUER: 'An upstream issuer is http while `outbound.allowPrivateAddresses` is off; only https issuers are called in production.',
  PRIVATE_ADDRESSES: '`oidc-federation.outbound.allowPrivateAddresses` is on with an issuer that is not localhost; it is for tests and local development only.',
  DUPLICATE_PROVIDER: 'Two upstream providers have the same `id`.',
});
