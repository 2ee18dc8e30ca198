/**
 * `authserver admin broker-grant list|revoke`: the admin API's grant operations on the database directly, so they
 * work with the admin listener off. (`admin user grants` is the oauth plugin's: a user's consents and refresh
 * families at this server, not upstream accounts.)
 */
import { booted, JSON_OPTION, printRecords, type RegisterApi } from 'authplane';
import { brokerErrors } from '../errors.js';
import { MAX_LIST_LIMIT, parseListQuery, type GrantOperations } from './operations.js';

const CLI_ACTOR = { actor_id: 'cli' } as const;

export function registerGrantCommands(api: RegisterApi, operations: GrantOperations): void {
  const add = (name: string, command: Parameters<RegisterApi['registries']['cliCommands']['register']>[1]) =>
    api.registries.cliCommands.register(`admin broker-grant ${name}`, command);

  add('list', {
    description: "List users' grants with upstream providers (connected accounts), newest first; never a token",
    options: {
      'user-id': { type: 'string', description: 'Only the grants of this user (id)' },
      provider: { type: 'string', description: 'Only grants with this provider (slug or id)' },
      limit: { type: 'string', description: `Most grants to print, 1-${MAX_LIST_LIMIT} (default 100)` },
      ...JSON_OPTION,
    },
    run: booted(async ({ options, out }) => {
      const params: Record<string, string> = {};
      if (typeof options['user-id'] === 'string') params.user_id = options['user-id'];
      if (typeof options.provider === 'string') params.provider = options.provider;
      if (typeof options.limit === 'string') params.limit = options.limit;
      const grants = await operations.list(parseListQuery(params));
      const json = options.json === true;
      const rows = json
        ? grants.map((g) => ({ ...g }))
        : grants.map((g) => ({
            user_id: g.user_id,
            provider: g.provider ?? g.provider_id,
            version: g.version,
            scopes: g.scopes.join(' '),
            refresh: g.has_refresh_token ? 'yes' : 'no',
            updated_at: g.updated_at,
          }));
      printRecords(out, json, 'grants', rows);
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
