import { trustedIssuers0001 } from '../../migrations/trusted-issuers/0001_trusted_issuers.js';
import { trustedIssuersPurgeIndexes0011 } from '../../migrations/trusted-issuers/0011_purge_indexes.js';

/** Every migration of the trusted-issuers plugin, in order. Forward-only; names never change once released. */
export const trustedIssuerMigrations = [trustedIssuers0001, trustedIssuersPurgeIndexes0011];
