import { Type, type Static } from 'authplane';

export const TOKEN_VARIABLE = 'AUTHPLANE_KEYSTORE_VAULT_TOKEN';
export const ROLE_ID_VARIABLE = 'AUTHPLANE_KEYSTORE_VAULT_ROLE_ID';
export const SECRET_ID_VARIABLE = 'AUTHPLANE_KEYSTORE_VAULT_SECRET_ID';

export const keystoreVaultSchema = Type.Object(
  {
    address: Type.String({
      minLength: 1,
      default: 'http://127.0.0.1:8200',
      description: "Vault's address (scheme, host, port), as in VAULT_ADDR.",
    }),
    mount: Type.String({ minLength: 1, default: 'transit', description: 'Where the Transit secrets engine is mounted.' }),
    keyName: Type.String({
      pattern: '^\\w(?:[\\w.@-]{0,126}\\w)?$',
      default: 'authplane-signing',
      description:
        'The Transit key that signs (type `ecdsa-p256`; created on first start when absent). Each key version is one signing key; `POST /admin/keys/rotate` rotates the Transit key.',
    }),
    approleMount: Type.String({
      minLength: 1,
      default: 'approle',
      description: `Where the AppRole auth method is mounted, used when ${ROLE_ID_VARIABLE} and ${SECRET_ID_VARIABLE} are set instead of ${TOKEN_VARIABLE}.`,
    }),
    timeout: Type.Integer({
      minimum: 100,
      default: 5000,
      description: 'Milliseconds one call to Vault may take (a signature on the token path, a key read at start).',
    }),
  },
  {
    additionalProperties: false,
    description:
      `Signing keys in HashiCorp Vault's Transit engine (\`signing.keyStore: vault\`): the private key never leaves Vault, which makes every signature (one HTTP call per token). Authentication from the environment only: ${TOKEN_VARIABLE}, or AppRole with ${ROLE_ID_VARIABLE} and ${SECRET_ID_VARIABLE}.`,
  },
);

export type KeystoreVaultOptions = Static<typeof keystoreVaultSchema>;
