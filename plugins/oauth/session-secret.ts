/**
 * The key of login-session cookies. Only this plugin has sessions, so only a server with it needs the secret: a
 * client_credentials-only server starts without one.
 */
import { environmentSecret } from 'authplane';
import { oauthErrors } from './errors.js';

export const SESSION_SECRET_ENV = 'AUTHPLANE_SESSION_SECRET';
/** HMAC-SHA256 key: at least as many characters as the hash has bytes. */
const MIN_SESSION_SECRET = 32;

/** The secret, and the warning to log once serving (localhost only); throws for a non-localhost issuer without one. */
export function sessionSecret(env: Readonly<Record<string, string | undefined>>, issuer: string): { secret: string; warning?: string } {
  const checked = environmentSecret(SESSION_SECRET_ENV, env[SESSION_SECRET_ENV], issuer, MIN_SESSION_SECRET);
  if ('problem' in checked) throw oauthErrors.INSECURE_SECRET(`refusing to start:\n  ${checked.problem}`);
  const warning = checked.ephemeral ? `${SESSION_SECRET_ENV} is not set: using an ephemeral session secret (sessions end on restart)` : checked.warning;
  return { secret: checked.secret, ...(warning ? { warning } : {}) };
}
