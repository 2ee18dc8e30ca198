import type { RegistryCatalog } from '../hooks.js';

/**
 * The purge targets of the two tables the kernel's issuer writes: issuance rows and the jti denylist. Both delete
 * by `expires_at`, which each table indexes (migrations/kernel/0001).
 */
export function registerTokenPurgeTargets(registries: RegistryCatalog, issuanceRetentionDays: () => number): void {
  registries.purgeTargets.register(
    'token_denylist',
    {
      description: 'denylisted jtis whose token has expired anyway',
      deletes: ({ now }) => [{ table: 'token_denylist', key: 'jti', where: (q) => q.where('expires_at', '<', now.getTime()) }],
    },
    'kernel',
  );
  registries.purgeTargets.register(
    'token_issuances',
    {
      description: 'issuance rows of tokens expired longer ago than tokens.issuanceRetentionDays',
      retention: true,
      deletes: ({ now, olderThanMs }) => {
        const before = now.getTime() - (olderThanMs ?? issuanceRetentionDays() * 86_400_000);
        return [{ table: 'token_issuances', key: 'jti', where: (q) => q.where('expires_at', '<', before) }];
      },
    },
    'kernel',
  );
}
