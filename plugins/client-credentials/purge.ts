import type { RegisterApi } from 'authplane';
import { CLIENT_CREDENTIALS } from './grant.js';

/**
 * `machine_tokens`: issuance rows of expired client_credentials tokens. Machine clients fetch a token per process
 * or per hour, so these rows are the bulk of the table and are dropped as soon as the token is dead; rows of
 * user tokens are kept for `tokens.issuanceRetentionDays` (the kernel's `token_issuances` target). The predicate is
 * the index of migrations/client-credentials/0010, so a batch reads only the rows it deletes.
 */
export function registerMachineTokenPurge(api: RegisterApi): void {
  api.registries.purgeTargets.register('machine_tokens', {
    description: 'issuance rows of expired client_credentials tokens',
    deletes: ({ now }) => [
      {
        table: 'token_issuances',
        key: 'jti',
        where: (q) => q.where('grant_type', CLIENT_CREDENTIALS).andWhere('expires_at', '<', now.getTime()),
      },
    ],
  });
}
