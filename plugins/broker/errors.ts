/** The broker plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';
import { brokerCryptoErrorMeanings } from './crypto/errors.js';

export const brokerErrors = defineErrors('broker', {
  ...brokerCryptoErrorMeanings,
  PRIVATE_ADDRESSES: '`broker.outbound.allowPrivateAddresses` is on with an issuer that is not localhost; it lets provider records make the server call internal addresses, so it is for tests and local development only.',
  SEED_INVALID: 'A provider to seed at boot (`broker.providers[i]`) is not a valid provider (slug, protocol, config); the message names the seed and what is wrong.',
  GRANT_REVOKE_USAGE: '`authserver admin broker-grant revoke` takes two arguments: the user id and the provider (slug or id).',
  AUTHORIZE_PARAMS_INVALID: 'An entry of `authserver admin provider create|update --authorize-params` is not `name=value` (entries separated by `,`).',
});
