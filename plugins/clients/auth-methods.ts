/**
 * RFC 6749 §2.3.1 client authentication for clients this plugin registers: `none` (public clients, RFC 7591 §2),
 * `client_secret_basic` and `client_secret_post`. The kernel's pipeline has already checked that the presented
 * method is the client's registered one; these only check the proof.
 */
import type { ClientAuthenticator, RegisterApi } from 'authplane';
import { secretMatches } from './secrets.js';

export function registerAuthMethods(api: RegisterApi, onAuthenticated: (clientId: string) => void): void {
  const authenticator = (check: ClientAuthenticator['authenticate']): ClientAuthenticator => ({
    authenticate(client, credentials) {
      const ok = check(client, credentials) === true;
      // A successful authentication is a use of the client (DCR hygiene removes clients unused for long).
      if (ok) onAuthenticated(client.client_id);
      return ok;
    },
  });
  const { clientAuthMethods } = api.registries;
  clientAuthMethods.register(
    'none',
    authenticator((client, credentials) => client.token_endpoint_auth_method === 'none' && credentials.clientSecret === undefined),
  );
  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    clientAuthMethods.register(
      method,
      authenticator(
        (client, credentials) =>
          client.token_endpoint_auth_method === method && secretMatches(credentials.clientSecret, client.secret_digest),
      ),
    );
  }
}
