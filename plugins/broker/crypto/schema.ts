/**
 * The broker plugin's `encryption` option: how upstream grants are encrypted at rest. Only the NAMES of environment
 * variables appear here; keys and tokens never sit in a config file (docs/broker.md, "Encryption at rest").
 */
import { Type, type Static } from 'authplane';

/** A POSIX-style environment variable name. */
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

export const DEFAULT_MASTER_KEY_ENV = 'AUTHPLANE_BROKER_MASTER_KEY';
export const DEFAULT_PREVIOUS_MASTER_KEY_ENV = 'AUTHPLANE_BROKER_MASTER_KEY_PREVIOUS';
export const DEFAULT_VAULT_TOKEN_ENV = 'AUTHPLANE_BROKER_VAULT_TOKEN';

/**
 * The variables the defaults name, for the plugin's `env` declaration (the kernel hands a plugin only the variables
 * it declared, and warns about an undeclared AUTHPLANE_* one).
 */
export const ENCRYPTION_ENV_DEFAULTS = [DEFAULT_MASTER_KEY_ENV, DEFAULT_PREVIOUS_MASTER_KEY_ENV, DEFAULT_VAULT_TOKEN_ENV] as const;

/**
 * Vault's own rule for a key name (`framework.GenericNameRegex`), kept short enough that `vault:<name>:v<N>` fits
 * the 64 characters of `broker_grants.key_id`.
 */
export const VAULT_KEY_NAME = '^\\w(?:[\\w.@-]{0,38}\\w)?$';

export const encryptionOptionsSchema = Type.Object(
  {
    backend: Type.Enum(['local', 'vault-transit'], {
      type: 'string',
      default: 'local',
      description:
        '`local`: AES-256-GCM in this process under keys derived (HKDF-SHA256, one per purpose) from the master key in `masterKeyEnv`. `vault-transit`: HashiCorp Vault\'s Transit engine encrypts and decrypts (`vault.*`); the master keys, when set, then only decrypt rows written before the move to Vault.',
    }),
    masterKeyEnv: Type.String({
      pattern: ENV_NAME,
      default: DEFAULT_MASTER_KEY_ENV,
      description:
        'The NAME of the environment variable holding the current master key: 32 random bytes as base64 (`openssl rand -base64 32`) or 64 hex digits. New ciphertexts are made under it; its id (a digest, never the key) is stored with each row.',
    }),
    previousMasterKeyEnvs: Type.Array(Type.String({ pattern: ENV_NAME }), {
      default: [DEFAULT_PREVIOUS_MASTER_KEY_ENV],
      maxItems: 8,
      description:
        'NAMES of environment variables holding older master keys, which only decrypt: during a rotation the old key goes here until `authserver admin reencrypt` has moved every row to the current key. Unset ones are skipped, so the default costs nothing outside a rotation.',
    }),
    devKeyFile: Type.String({
      minLength: 1,
      default: 'data/broker/master.key',
      description:
        'Local development only: with the master key variable unset and a loopback issuer (`http://localhost:9000`), a key is generated once into this file (mode 0600, its folder created 0700, beside keystore-keyfile\'s data/keys) and a warning logged. Any other issuer refuses to start without the variable.',
    }),
    vault: Type.Object(
      {
        address: Type.String({
          default: '',
          description: 'Vault\'s base URL, e.g. `https://vault.internal:8200` (required with backend `vault-transit`). Redirects are not followed.',
        }),
        mount: Type.String({
          pattern: '^[\\w.-]+(/[\\w.-]+)*$',
          default: 'transit',
          description: 'The path the Transit engine is mounted at (`vault secrets enable -path=<mount> transit`); a Vault Enterprise namespace can prefix it (`ns1/transit`).',
        }),
        keyName: Type.String({
          pattern: VAULT_KEY_NAME,
          default: 'authplane-broker',
          description: 'The Transit key (type `aes256-gcm96`, or another AEAD type: the row binding travels as `associated_data`). Rotate it in Vault; `authserver admin reencrypt` then moves the rows to its latest version.',
        }),
        tokenEnv: Type.String({
          pattern: ENV_NAME,
          default: DEFAULT_VAULT_TOKEN_ENV,
          description: 'The NAME of the environment variable holding the Vault token (sent as `X-Vault-Token`; never logged).',
        }),
        timeoutMs: Type.Integer({
          minimum: 100,
          maximum: 60000,
          default: 5000,
          description: 'How long one request to Vault may take (milliseconds) before it counts as Vault unreachable.',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  {
    default: {},
    additionalProperties: false,
    description: 'Encryption at rest of upstream grants (docs/broker.md, "Encryption at rest").',
  },
);

export type EncryptionOptions = Static<typeof encryptionOptionsSchema>;
