/** The trusted-issuers plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const trustedIssuerErrors = defineErrors('trusted-issuers', {
  ENABLE_CONFLICT: '`authserver admin idp` was given both `--enable` and `--disable`; give one.',
  RULE_USAGE: '`authserver admin idp rule delete` takes the issuer (id or name) and the rule id: `<id-or-name> <rule-id>`.',
});
