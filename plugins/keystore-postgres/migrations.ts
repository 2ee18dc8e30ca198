import { signingKeys0001 } from '../../migrations/keystore-postgres/0001_signing_keys.js';

/** Every migration of the keystore-postgres plugin, in order. Forward-only; names never change once released. */
export const keystorePostgresMigrations = [signingKeys0001];
