/**
 * The broker's error codes for encryption at rest, listed under the broker plugin in docs/errors.md once the plugin
 * declares them: `defineErrors('broker', { ...brokerCryptoErrorMeanings, ...its own })`. The codes are the same
 * strings whichever declaration builds them, so this module's constructors can be used as they are.
 */
import { defineErrors } from 'authplane';

export const brokerCryptoErrorMeanings = {
  MASTER_KEY_MISSING:
    'The environment variable named by `broker.encryption.masterKeyEnv` (default AUTHPLANE_BROKER_MASTER_KEY) is not set, and the issuer is not a loopback URL (where a development key file would do). Make a key with `openssl rand -base64 32`, keep a copy somewhere safe and set the variable.',
  MASTER_KEY_INVALID:
    'A broker master key (the current one, a previous one, or the development key file) is not 32 bytes written as base64 or 64 hex digits. Make one with `openssl rand -base64 32`.',
  DEV_KEY_FILE:
    'The development master key file (`broker.encryption.devKeyFile`) cannot be created or read: make its folder writable by the server, or set the master key variable instead.',
  VAULT_CONFIG_INVALID:
    '`broker.encryption.backend` is `vault-transit` but a `broker.encryption.vault` setting is missing or malformed (address, mount, keyName).',
  VAULT_TOKEN_MISSING:
    'The environment variable named by `broker.encryption.vault.tokenEnv` (default AUTHPLANE_BROKER_VAULT_TOKEN) holds no Vault token.',
  VAULT_UNREACHABLE:
    'Vault did not answer at `broker.encryption.vault.address` (connection refused, name not resolved, TLS failure, or no answer within `vault.timeoutMs`).',
  VAULT_DENIED:
    'Vault refused the token (HTTP 403): it is expired, revoked, or its policy lacks `update` on `<mount>/encrypt/<keyName>` and `<mount>/decrypt/<keyName>`.',
  VAULT_REQUEST_FAILED:
    'Vault answered a Transit request with an error other than 403 (a missing key, a key type without associated data, a redirect, a server error); the message carries what Vault said.',
  REENCRYPT_USAGE: '`authserver admin reencrypt --batch-size` must be a whole number from 1 to 10000.',
} as const;

export const brokerCryptoErrors = defineErrors('broker', brokerCryptoErrorMeanings);
