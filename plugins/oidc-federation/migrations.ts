import { oidcLoginAttempts0001 } from '../../migrations/oidc-federation/0001_oidc_login_attempts.js';
import { oidcFederationPurgeIndexes0011 } from '../../migrations/oidc-federation/0011_purge_indexes.js';

/** Every migration of the oidc-federation plugin, in order. Forward-only; names never change once released. */
export const oidcFederationMigrations = [oidcLoginAttempts0001, oidcFederationPurgeIndexes0011];
