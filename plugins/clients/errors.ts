/** The clients plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const clientErrors = defineErrors('clients', {
  AGENT_CONFLICT: '`authserver admin client` was given both `--agent` and `--no-agent`; give one.',
  JWKS_INVALID: '`authserver admin client --jwks` was not JSON; give the JWK set as a JSON object (`{"keys": [...]}`).',
});
