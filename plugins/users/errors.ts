/** The users plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const userErrors = defineErrors('users', {
  PASSWORD_TWICE: '`authserver admin user` was given both `--password` and `--password-stdin`; give one.',
});
