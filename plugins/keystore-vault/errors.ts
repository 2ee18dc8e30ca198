import { defineErrors } from 'authplane';

export const keystoreVaultErrors = defineErrors('keystore-vault', {
  AUTH_MISSING: 'The `vault` key store is selected but neither `AUTHPLANE_KEYSTORE_VAULT_TOKEN` nor both `AUTHPLANE_KEYSTORE_VAULT_ROLE_ID` and `AUTHPLANE_KEYSTORE_VAULT_SECRET_ID` are set.',
  UNREACHABLE: 'Vault did not answer at `keystore-vault.address` within `keystore-vault.timeout` (not running, wrong address, or a firewall).',
  DENIED: "Vault refused the key store's token or AppRole login (403/400): the policy must allow read on `<mount>/keys/<key>`, update on `<mount>/keys/<key>`, `<mount>/keys/<key>/rotate` and `<mount>/sign/<key>`.",
  KEY_TYPE: 'The Transit key named by `keystore-vault.keyName` exists but is not of type `ecdsa-p256` (the ES256 the server signs with).',
  REQUEST_FAILED: 'Vault answered a key-store request with an error other than a refusal (the message carries what Vault said).',
});
