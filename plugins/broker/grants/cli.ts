/**
 * `authserver admin broker-grant list|revoke`: the admin API's grant operations on the database directly, so they
 * work with the admin listener off. (`admin user grants` is the oauth plugin's: a user's consents and refresh
 * families at this server, not upstream accounts.)
 */
import { booted, JSON_OPTION, PAGE_OPTIONS, pageFlags, printPages, type RegisterApi } from 'authplane';
import { brokerErrors } from '../errors.js';
import { parseListQuery, type GrantOperations } from './operations.js';

const CLI_ACTOR = { actor_id: 'cli' } as const;

export function registerGrantCommands(api: RegisterApi, operations: GrantOperations): void {
  const add = (name: string, command: Parameters<RegisterApi['registries']['cliCommands']['register']>[1]) =>
    api.registries.cliCommands.register(`admin broker-grant ${name}`, command);

  add('list', {
    description: "List users' grants with upstream providers (connected accounts), newest first; never a token",
    options: {
      'user-id': { type: 'string', description: 'Only the grants of this user (id)' },
      provider: { type: 'string', description: 'Only grants with this provider (slug or id)' },
      ...PAGE_OPTIONS,
      ...JSON_OPTION,
    },
    run: booted(async ({ options, out }) => {
      const params: Record<string, string> = pageFlags(options);
      if (typeof options['user-id'] === 'string') params.user_id = options['user-id'];
      if (typeof options.provider === 'string') params.provider = options.provider;
      await printPages(
        { options, out },
        'grants',
        (cursor) => operations.list(parseListQuery({ ...params, ...(cursor ? { cursor } : {}) })),
        (g) => ({
          user_id: g.user_id,
          provider: g.provider ?? g.provider_id,
          version: g.version,
          scopes: g.scopes.join(' '),
          refresh: g.has_refresh_token ? 'yes' : 'no',
          updated_at: g.updated_at,
        }),
      );
    }),
  });

  add('revoke', {
    description: "Delete a user's grant with a provider (the user must connect again); audited",
    usage: '<user-id> <provider>',
    run: booted(async ({ args, out }) => {
      if (args.length !== 2) throw brokerErrors.GRANT_REVOKE_USAGE('usage: authserver admin broker-grant revoke <user-id> <provider>');
      const [userId, provider] = args as [string, string];
      await operations.revoke(userId, provider, CLI_ACTOR, 'admin');
      out(`revoked the grant of user ${userId} with ${provider}`);
    }),
  });
}
