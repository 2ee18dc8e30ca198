import { trustedIssuers0001 } from '../../migrations/trusted-issuers/0001_trusted_issuers.js';
import { trustedIssuersPurgeIndexes0011 } from '../../migrations/trusted-issuers/0011_purge_indexes.js';
import { assertionJtiKeysByExpiry0012 } from '../../migrations/trusted-issuers/0012_assertion_jti_keys_by_expiry.js';

/** Every migration of the trusted-issuers plugin, in order. Forward-only; names never change once released. */
export const trustedIssuerMigrations = [trustedIssuers0001, trustedIssuersPurgeIndexes0011, assertionJtiKeysByExpiry0012];
