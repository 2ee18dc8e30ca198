import { defineErrors } from 'authplane';

export const keystorePostgresErrors = defineErrors('keystore-postgres', {
  KEK_MISSING: 'The `postgres` key store is selected but `AUTHPLANE_KEYSTORE_POSTGRES_KEK` (the key-encryption key) is not set.',
  KEK_INVALID: '`AUTHPLANE_KEYSTORE_POSTGRES_KEK` or an entry of `AUTHPLANE_KEYSTORE_POSTGRES_KEK_PREVIOUS` is not 32 bytes in base64 or base64url.',
  KEK_UNKNOWN: 'A signing key in the database was sealed with a key-encryption key the server was not given (set it in `AUTHPLANE_KEYSTORE_POSTGRES_KEK_PREVIOUS` while replacing the KEK).',
  KEY_CORRUPT: 'A sealed signing key does not open with the key-encryption key its row names: the row was altered or copied from another key.',
});
