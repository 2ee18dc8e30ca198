/** The oauth plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const oauthErrors = defineErrors('oauth', {
  INSECURE_SECRET:
    'AUTHPLANE_SESSION_SECRET (the key of login-session cookies) is missing, shorter than 32 characters or an obvious value, and the issuer is not localhost. Set it to a long random value, the same on every replica.',
  RETURN_PATH_INVALID:
    "A plugin called `interactions.allowReturnPath` with a prefix that is not an absolute path of whole segments ending in `/` (such as `/connect/`), or after the register phase; the message names the prefix.",
});
