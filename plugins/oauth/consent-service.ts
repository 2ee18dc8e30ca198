import type { RegisterApi } from 'authplane';
import type { OAuthState } from './context.js';
import type { UserConsents } from './types.js';

/** The `consents` service over the store the consent screen writes. */
export function consentService(api: RegisterApi, state: OAuthState): UserConsents {
  return {
    async stands(userId, clientId, resource, scopes) {
      const resources = api.use('resources');
      const found = (await resources.get(resource)) ?? (await resources.resolve(resource));
      if (!found) return false;
      return state.consents().covers(userId, clientId, found.id, scopes);
    },
  };
}
