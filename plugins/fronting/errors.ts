/** The fronting plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const frontingErrors = defineErrors('fronting', {
  SCOPE_MAP_INVALID: 'An entry of `authserver admin fronting create --scope-map` is not `source-scope=target-scope[,target-scope…]` (entries separated by `;`).',
});
