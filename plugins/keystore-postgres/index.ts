/**
 * keystore-postgres: signing keys in the database (table `signing_keys`), shared by every replica on it. Each
 * private key is sealed with AES-256-GCM under a key-encryption key from `AUTHPLANE_KEYSTORE_POSTGRES_KEK` (older
 * KEKs, still accepted for opening, in `AUTHPLANE_KEYSTORE_POSTGRES_KEK_PREVIOUS`); tokens are signed in process with
 * node:crypto, as with the keyfile store.
 * Registers: `keyStores` 'postgres' (select with `signing.keyStore: postgres`), CLI `admin key reseal`.
 * On PostgreSQL a trigger on the table announces every change through LISTEN/NOTIFY (`runtime.replicas`, topic
 * `keys`): each replica reloads its signer and JWKS within a second of a rotation anywhere, and re-reads the table
 * whenever its listener reconnects. On SQLite it works for the one server (the keys sealed at rest).
 */
import { booted, definePlugin, type CliCommand } from 'authplane';
import { keystorePostgresErrors } from './errors.js';
import { KEK_VARIABLE, KeyEncryptionKeys, PREVIOUS_KEK_VARIABLE } from './kek.js';
import { keystorePostgresMigrations } from './migrations.js';
import { createPostgresKeyStore, resealKeys } from './store.js';

export const keystorePostgres = definePlugin({
  name: 'keystore-postgres',
  errors: keystorePostgresErrors,
  env: [KEK_VARIABLE, PREVIOUS_KEK_VARIABLE],
  register(api) {
    api.migrations(keystorePostgresMigrations);
    const keks = () => new KeyEncryptionKeys(api.env[KEK_VARIABLE], api.env[PREVIOUS_KEK_VARIABLE]);
    api.registries.keyStores.register('postgres', ({ db, replicas }) =>
      createPostgresKeyStore(db, keks(), replicas, db.client.dialect === 'postgresql' ? 'postgres' : 'sqlite'),
    );
    const reseal: CliCommand = {
      description: `Re-seal every signing key under the current key-encryption key (${KEK_VARIABLE}) after replacing it`,
      run: booted(async ({ server, out }) => {
        const current = keks();
        const changed = await resealKeys(server.db, current);
        out(`${changed} signing key(s) re-sealed under key-encryption key ${current.current.id}`);
      }),
    };
    api.registries.cliCommands.register('admin key reseal', reseal);
  },
});
