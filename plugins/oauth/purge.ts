import type { RegisterApi } from 'authplane';
import type { OAuthOptions } from './schema.js';

/** Rows whose lifetime is over; `authserver purge --only <name>` runs one. */
export function registerPurgeTargets(api: RegisterApi, options: Readonly<OAuthOptions>): void {
  api.registries.purgeTargets.register('authorization_codes', {
    description: 'expired authorization codes',
    purge: ({ db, now }) => db('authorization_codes').where('expires_at', '<', now.getTime()).delete(),
  });
  api.registries.purgeTargets.register('refresh_tokens', {
    description: 'expired refresh tokens and families, and families revoked long enough ago',
    async purge({ db, now }) {
      const t = now.getTime();
      const tokens = await db('refresh_tokens').where('expires_at', '<', t).delete();
      const dead = db('refresh_families').select('id').where('expires_at', '<', t);
      const orphans = await db('refresh_tokens').whereIn('family_id', dead).delete();
      const families = await db('refresh_families').where('expires_at', '<', t).delete();
      return tokens + orphans + families;
    },
  });
  api.registries.purgeTargets.register('sessions', {
    description: 'expired or revoked login sessions',
    purge: ({ db, now }) =>
      db('sessions')
        .where('expires_at', '<', now.getTime())
        .orWhereNotNull('revoked_at')
        .delete(),
  });
  api.registries.purgeTargets.register('login_failures', {
    description: 'failed-login counters whose window and lockout are over',
    purge: ({ db, now }) =>
      db('login_failures')
        .where('window_start', '<', now.getTime() - options.login.failureWindow * 1000)
        .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<', now.getTime()))
        .delete(),
  });
}
