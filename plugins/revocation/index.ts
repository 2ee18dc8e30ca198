/**
 * revocation: `POST /oauth/revoke` (RFC 7009) for access, machine and refresh tokens.
 * - Client authentication through the kernel's pipeline (public clients with their client_id may revoke their own
 *   tokens); missing `token` → 400 invalid_request; bad client → 401 invalid_client; unknown or foreign token → 200.
 * - Calls the `revokeToken` taps: its own denylists an access token's `jti` until it expires (access-tokens.ts), oauth's revokes a
 *   refresh token's family and denylists the access tokens issued from it.
 * Taps: `revokeToken` (our JWTs), `discoveryMetadata` (revocation_endpoint, revocation_endpoint_auth_methods_supported).
 * Audit: token_revoked (detail.reason = client_request). Metric: authserver_tokens_revoked_total{reason}.
 */
import { definePlugin } from 'authplane';
import { tapAccessTokenRevocation } from './access-tokens.js';
import { revocationEndpoint } from './endpoint.js';

export const REVOCATION_PATH = '/oauth/revoke';

export const revocation = definePlugin({
  name: 'revocation',
  register(api) {
    const revoked = api.metrics.counter({
      name: 'authserver_tokens_revoked_total',
      help: 'Tokens revoked, by reason (client_request at /oauth/revoke, admin through the admin API or CLI)',
      labelNames: ['reason'] as const,
    });
    tapAccessTokenRevocation(api);
    api.route('public', 'POST', REVOCATION_PATH, revocationEndpoint(api.runtime, revoked));
    const issuer = api.config.server.issuer.replace(/\/+$/, '');
    api.hooks.discoveryMetadata.tap(api.name, (doc) => {
      const methods = (doc.token_endpoint_auth_methods_supported as string[] | undefined) ?? [];
      return Object.assign({}, doc, {
        revocation_endpoint: `${issuer}${REVOCATION_PATH}`,
        ...(methods.length ? { revocation_endpoint_auth_methods_supported: methods } : {}),
      });
    });
  },
});
