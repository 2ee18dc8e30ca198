/** `authserver admin issuance list|get|revoke`: the admin API's operations, run on the database directly. */
import { booted, JSON_OPTION, oneArgument, PAGE_OPTIONS, pageFlags, printPages, printRecord, type CliCommand, type RegisterApi } from 'authplane';
import type { IssuanceOperations, Actor } from './operations.js';
import type { IssuanceView } from './store.js';

const CLI_ACTOR: Actor = { actor_id: 'cli' };

const jtiArgument = (args: string[], command: string) => oneArgument(args, `admin issuance ${command} <jti>`);

const summary = (i: IssuanceView) => ({
  jti: i.jti,
  subject: i.subject,
  client_id: i.client_id,
  audience: i.audience.join(','),
  scope: i.scope,
  grant_type: i.grant_type,
  issued_at: i.issued_at,
  status: i.status,
});

export function registerIssuanceCommands(api: RegisterApi, operations: IssuanceOperations): void {
  const add = (name: string, command: CliCommand) => api.registries.cliCommands.register(`admin issuance ${name}`, command);

  add('list', {
    description: 'List issued access tokens, newest first, page after page',
    options: {
      user: { type: 'string', description: 'Only tokens whose subject is this user id (or client id, for machine tokens)' },
      client: { type: 'string', description: 'Only tokens issued to this client_id' },
      resource: { type: 'string', description: 'Only tokens whose audience includes this resource URI' },
      jti: { type: 'string', description: 'Only the token with this jti' },
      since: { type: 'string', description: 'Only tokens issued at or after this RFC 3339 date-time' },
      ...PAGE_OPTIONS,
      ...JSON_OPTION,
    },
    run: booted(async ({ options, out }) => {
      const raw: Record<string, string> = pageFlags(options);
      for (const name of ['user', 'client', 'resource', 'jti', 'since']) {
        if (typeof options[name] === 'string') raw[name] = options[name] as string;
      }
      await printPages({ options, out }, 'issuances', (cursor) => operations.list({ ...raw, cursor }), summary);
    }),
  });
  add('get', {
    description: 'Show one issued access token by jti',
    usage: '<jti>',
    options: JSON_OPTION,
    run: booted(async ({ args, options, out }) => {
      printRecord(out, options.json === true, await operations.get(jtiArgument(args, 'get')));
    }),
  });
  add('revoke', {
    description: 'Revoke one access token by jti (denylisted until it expires; revoking twice is harmless)',
    usage: '<jti>',
    options: JSON_OPTION,
    run: booted(async ({ args, options, out }) => {
      const issuance = await operations.revoke(jtiArgument(args, 'revoke'), CLI_ACTOR);
      if (options.json === true) out(JSON.stringify(issuance, null, 2));
      else out(`token ${issuance.jti} is revoked`);
    }),
  });
}
