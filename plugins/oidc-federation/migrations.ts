import { oidcLoginAttempts0001 } from '../../migrations/oidc-federation/0001_oidc_login_attempts.js';

/** Every migration of the oidc-federation plugin, in order. Forward-only; names never change once released. */
export const oidcFederationMigrations = [oidcLoginAttempts0001];
