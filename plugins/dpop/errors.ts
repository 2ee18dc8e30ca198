/** The dpop plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const dpopErrors = defineErrors('dpop', {
  INSECURE_SECRET:
    '`dpop.requireNonce` is on and AUTHPLANE_SESSION_SECRET (nonces are an HMAC under a key derived from it) is missing, shorter than 32 characters or an obvious value, and the issuer is not localhost. Set it to a long random value, the same on every replica.',
});
