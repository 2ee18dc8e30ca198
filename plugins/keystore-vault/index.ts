/**
 * keystore-vault: signing keys in HashiCorp Vault's Transit engine. The private key never leaves Vault: the server
 * holds the public keys (for the JWKS and to verify), and every signature is a `POST <mount>/sign/<key>` — one
 * HTTP round trip per token issued, so Vault's latency and availability become the token endpoint's (docs/keys.md).
 * Rotation is a Transit key rotation; each key version is one kid. Authentication from the environment only:
 * `AUTHPLANE_KEYSTORE_VAULT_TOKEN`, or AppRole (`AUTHPLANE_KEYSTORE_VAULT_ROLE_ID` + `_SECRET_ID`, logging in again
 * when the token is refused).
 * Registers: `keyStores` 'vault' (select with `signing.keyStore: vault`). A rotation is announced to the other
 * replicas through `runtime.replicas` (topic `keys`) on PostgreSQL.
 */
import { definePlugin } from 'authplane';
import { keystoreVaultErrors } from './errors.js';
import { keystoreVaultSchema, ROLE_ID_VARIABLE, SECRET_ID_VARIABLE, TOKEN_VARIABLE } from './schema.js';
import { createVaultKeyStore } from './store.js';
import { VaultClient, type VaultAuth } from './transit.js';

export type { KeystoreVaultOptions } from './schema.js';

export const keystoreVault = definePlugin({
  name: 'keystore-vault',
  schema: keystoreVaultSchema,
  errors: keystoreVaultErrors,
  env: [TOKEN_VARIABLE, ROLE_ID_VARIABLE, SECRET_ID_VARIABLE],
  register(api, options) {
    api.registries.keyStores.register('vault', ({ replicas }) => {
      const token = api.env[TOKEN_VARIABLE];
      const roleId = api.env[ROLE_ID_VARIABLE];
      const secretId = api.env[SECRET_ID_VARIABLE];
      let auth: VaultAuth;
      if (token) auth = { token };
      else if (roleId && secretId) auth = { roleId, secretId, approleMount: options.approleMount };
      else {
        throw keystoreVaultErrors.AUTH_MISSING(
          `signing.keyStore is 'vault' but no Vault credentials are set: give ${TOKEN_VARIABLE}, or ${ROLE_ID_VARIABLE} and ${SECRET_ID_VARIABLE} for AppRole`,
        );
      }
      const vault = new VaultClient({ address: options.address, mount: options.mount, keyName: options.keyName, timeoutMs: options.timeout, auth });
      return createVaultKeyStore(vault, replicas, `${options.address.replace(/\/+$/, '')}${vault.keyPath}`);
    });
  },
});
