/** The token-exchange plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const tokenExchangeErrors = defineErrors('token-exchange', {
  BACKEND_DUPLICATE:
    'Two plugins registered a token-exchange backend for the same resource kind (`tokenExchange.registerBackend`); the message names both. Enable one of them.',
  BACKEND_INVALID:
    'A plugin registered a token-exchange backend for `mint` (the grant serves those itself) or an empty kind, or after the register phase; the message names the plugin.',
});
