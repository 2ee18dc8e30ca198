/**
 * client-credentials: the `client_credentials` grant (RFC 6749 §4.4) for machine-to-machine access.
 * - Confidential clients only (client_secret_basic / client_secret_post through the kernel's client pipeline),
 *   which must list the grant and have a scope ceiling set by an administrator (DCR/CIMD clients are refused).
 * - `scope` omitted → the ceiling; `resource` (RFC 8707, URI or slug) → `aud` = that resource and scopes must be
 *   in its catalog; no resource → `aud` = the issuer. No refresh token. Lifetime: option `tokenTtl` (1 h).
 * - Each token is recorded by `jti` in `token_issuances` by the kernel's issuer (group commit, durable before the
 *   response), so it can be introspected, revoked and listed like any other.
 * Registers: grant type `client_credentials`, purge target `machine_tokens`. Uses service `resources`.
 * Audit: token_issued, emitted by the kernel (detail.grant_type = client_credentials).
 */
import { definePlugin } from 'authplane';
import { clientCredentialsPurgeIndexes0010 } from '../../migrations/client-credentials/0010_purge_indexes.js';
import { clientCredentialsGrant, CLIENT_CREDENTIALS } from './grant.js';
import { registerMachineTokenPurge } from './purge.js';
import { clientCredentialsSchema } from './schema.js';

export type { ClientCredentialsOptions } from './schema.js';

export const clientCredentials = definePlugin({
  name: 'client-credentials',
  dependsOn: ['resources'],
  schema: clientCredentialsSchema,
  register(api, options) {
    // The kernel refuses a tokenTtl above signing.retiredKeyRetention at boot, naming this grant and plugin.
    api.registries.grantTypes.register(CLIENT_CREDENTIALS, clientCredentialsGrant(api.runtime, options.tokenTtl));
    api.migrations([clientCredentialsPurgeIndexes0010]);
    registerMachineTokenPurge(api);
  },
});
