import type { RegisterApi } from 'authplane';
import type { OAuthOptions } from './schema.js';

/**
 * Rows whose lifetime is over; `authserver purge --only <name>` runs one. Each deletion's predicate matches an index
 * (migrations/oauth/0001 and 0012), and the kernel deletes in bounded batches: an OR of two conditions is two
 * deletions, so each walks its own index instead of the table.
 */
export function registerPurgeTargets(api: RegisterApi, options: Readonly<OAuthOptions>): void {
  api.registries.purgeTargets.register('authorization_codes', {
    description: 'expired authorization codes',
    deletes: ({ now }) => [{ table: 'authorization_codes', key: 'code_hash', where: (q) => q.where('expires_at', '<', now.getTime()) }],
  });
  api.registries.purgeTargets.register('refresh_tokens', {
    description: 'expired refresh tokens and families, and families revoked long enough ago',
    deletes: ({ db, now }) => {
      const t = now.getTime();
      return [
        { table: 'refresh_tokens', key: 'id', where: (q) => q.where('expires_at', '<', t) },
        // Tokens of a dead family that outlive it, before the family row goes.
        {
          table: 'refresh_tokens',
          key: 'id',
          where: (q) => q.whereIn('family_id', db('refresh_families').select('id').where('expires_at', '<', t)),
        },
        { table: 'refresh_families', key: 'id', where: (q) => q.where('expires_at', '<', t) },
      ];
    },
  });
  api.registries.purgeTargets.register('sessions', {
    description: 'expired or revoked login sessions',
    deletes: ({ now }) => [
      { table: 'sessions', key: 'id', where: (q) => q.where('expires_at', '<', now.getTime()) },
      { table: 'sessions', key: 'id', where: (q) => q.whereNotNull('revoked_at') },
    ],
  });
  api.registries.purgeTargets.register('login_failures', {
    description: 'failed-login counters whose window and lockout are over',
    deletes: ({ now }) => [
      {
        table: 'login_failures',
        key: 'key',
        where: (q) =>
          q
            .where('window_start', '<', now.getTime() - options.login.failureWindow * 1000)
            .andWhere((inner) => inner.whereNull('locked_until').orWhere('locked_until', '<', now.getTime())),
      },
    ],
  });
}
