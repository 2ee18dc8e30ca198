import type { KeyStoreStatus } from '../contracts.js';

/**
 * Servers sharing a PostgreSQL database are replicas of one authorization server, but a key store of this host
 * only (keyfile) gives each its own signing keys: each publishes a JWKS the others' tokens fail against. The warning
 * to log at boot, or undefined when the keys are shared or the database is not shared.
 */
export function unsharedKeyStoreWarning(store: KeyStoreStatus, dialect: string | undefined): string | undefined {
  if (dialect !== 'postgres' || store.shared !== false) return undefined;
  return (
    `signing keys are in a key store of this host only ('${store.name}') while the database is PostgreSQL: ` +
    'replicas on this database each sign with and publish their own keys, so a token from one fails against the ' +
    'JWKS of another — use a shared key store (signing.keyStore: postgres or vault, docs/keys.md), or give every ' +
    'replica the same key folder (signing.keyPath)'
  );
}
