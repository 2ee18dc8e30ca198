import type { RegistryCatalog } from '../hooks.js';

/** The purge targets of the two tables the kernel's issuer writes: issuance rows and the jti denylist. */
export function registerTokenPurgeTargets(registries: RegistryCatalog, issuanceRetentionDays: () => number): void {
  registries.purgeTargets.register(
    'token_denylist',
    {
      description: 'denylisted jtis whose token has expired anyway',
      purge: ({ db, now }) => db('token_denylist').where('expires_at', '<', now.getTime()).delete(),
    },
    'kernel',
  );
  registries.purgeTargets.register(
    'token_issuances',
    {
      description: 'issuance rows of tokens expired longer ago than tokens.issuanceRetentionDays',
      retention: true,
      purge: ({ db, now, olderThanMs }) =>
        db('token_issuances')
          .where('expires_at', '<', now.getTime() - (olderThanMs ?? issuanceRetentionDays() * 86_400_000))
          .delete(),
    },
    'kernel',
  );
}
