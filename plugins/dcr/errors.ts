/** The dcr plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const dcrErrors = defineErrors('dcr', {
  MODE_REQUIRED: '`authserver admin dcr set` was called without `--mode open|approved_redirects|admin_only`.',
});
