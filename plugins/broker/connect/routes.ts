/** The connect flow's browser routes on the public listener; errors are HTML pages, never a redirect. */
import type { RegisterApi } from 'authplane';
import { connectCallback } from './callback.js';
import type { ConnectDeps } from './deps.js';
import { connectStart } from './start.js';

export function registerConnectRoutes(api: RegisterApi, deps: ConnectDeps): void {
  // A browser without a session is sent to the login page, which brings it back to the same connect URL.
  deps.interactions.allowReturnPath('/connect/');
  api.route('public', 'GET', '/connect/:provider', connectStart(deps), { errors: 'page' });
  api.route('public', 'GET', '/connect/:provider/callback', connectCallback(deps), { errors: 'page' });
}
