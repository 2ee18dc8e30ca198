/**
 * `authserver admin client …`: the same operations as the admin API, run on the database directly, so they work
 * with the admin listener off. Flags are the API's JSON fields in kebab-case; `--data` takes the API body itself.
 */
import { dataOption, JSON_OPTION, oneArgument, PAGE_OPTIONS, pageFlags, printPages, printRecord, type CliCommand, type CliContext, type CliOption, type RegisterApi, booted } from 'authplane';
import { clientErrors } from './errors.js';
import type { ClientOperations, ClientView, ClientWithSecret } from './operations.js';

const CLI_ACTOR = { actor_id: 'cli' } as const;


const FIELD_OPTIONS = {
  data: { type: 'string', description: 'The admin API JSON body; flags given as well override its fields' },
  name: { type: 'string', description: 'client_name' },
  'redirect-uris': { type: 'string', description: 'redirect_uris, comma-separated' },
  'grant-types': { type: 'string', description: 'grant_types, comma-separated (authorization_code, refresh_token, …)' },
  'response-types': { type: 'string', description: 'response_types, comma-separated (code)' },
  'auth-method': { type: 'string', description: 'token_endpoint_auth_method: none, client_secret_basic, client_secret_post, private_key_jwt' },
  'jwks-uri': { type: 'string', description: 'jwks_uri: where a private_key_jwt client publishes its public keys' },
  jwks: { type: 'string', description: 'jwks: a private_key_jwt client\'s public keys, as a JSON JWK set' },
  scope: { type: 'string', description: 'scope ceiling, space-separated ("a b")' },
  'application-type': { type: 'string', description: 'application_type: web or native' },
  agent: { type: 'boolean', description: 'agent: the client is an AI agent' },
  'no-agent': { type: 'boolean', description: 'agent: false' },
  'agent-description': { type: 'string', description: 'agent_description' },
} satisfies Record<string, CliOption>;

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

/** The request body from `--data` and the field flags. */
function bodyFromOptions(options: CliContext['options']): Record<string, unknown> {
  const body = dataOption(options);
  const text = (flag: string) => (typeof options[flag] === 'string' ? (options[flag] as string) : undefined);
  const set = (field: string, value: unknown) => value !== undefined && (body[field] = value);
  set('client_name', text('name'));
  set('redirect_uris', text('redirect-uris') !== undefined ? list(text('redirect-uris')!) : undefined);
  set('grant_types', text('grant-types') !== undefined ? list(text('grant-types')!) : undefined);
  set('response_types', text('response-types') !== undefined ? list(text('response-types')!) : undefined);
  set('token_endpoint_auth_method', text('auth-method'));
  set('scope', text('scope'));
  set('application_type', text('application-type'));
  if (options.agent === true && options['no-agent'] === true) throw clientErrors.AGENT_CONFLICT('--agent and --no-agent contradict each other');
  set('agent', options.agent === true ? true : options['no-agent'] === true ? false : undefined);
  set('agent_description', text('agent-description'));
  set('jwks_uri', text('jwks-uri'));
  if (text('jwks') !== undefined) {
    try {
      body.jwks = JSON.parse(text('jwks')!);
    } catch {
      throw clientErrors.JWKS_INVALID('--jwks must be a JSON JWK set');
    }
  }
  return body;
}

const clientId = (args: string[], command: string) => oneArgument(args, `admin client ${command} <client-id>`);

function printClient(out: CliContext['out'], json: boolean, client: ClientWithSecret): void {
  if (json) return printRecord(out, true, client);
  const { client_secret, ...fields } = client;
  printRecord(out, false, fields);
  if (client_secret) out(`\nclient_secret: ${client_secret}\n(shown once: store it now, it cannot be shown again)`);
}

const summary = (c: ClientView) => ({
  client_id: c.client_id,
  client_name: c.client_name,
  status: c.status,
  auth_method: c.token_endpoint_auth_method,
  grant_types: c.grant_types.join(','),
  source: c.registration_source,
  last_used_at: c.last_used_at,
});


export function registerClientCommands(api: RegisterApi, operations: ClientOperations): void {
  const add = (name: string, command: CliCommand) => api.registries.cliCommands.register(`admin client ${name}`, command);

  add('create', {
    description: 'Register a client; a confidential client\'s secret is printed once',
    options: { ...FIELD_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ options, out }) => {
      printClient(out, options.json === true, await operations.create(bodyFromOptions(options), CLI_ACTOR));
    }),
  });
  add('list', {
    description: 'List clients, newest first, page after page',
    options: {
      status: { type: 'string', description: 'Only clients in this status: active, suspended, revoked' },
      source: { type: 'string', description: 'Only clients of this registration source: admin, dcr, cimd' },
      ...PAGE_OPTIONS,
      ...JSON_OPTION,
    },
    run: booted(async ({ options, out }) => {
      const query = {
        ...pageFlags(options),
        ...(typeof options.status === 'string' ? { status: options.status } : {}),
        ...(typeof options.source === 'string' ? { source: options.source } : {}),
      };
      await printPages({ options, out }, 'clients', (cursor) => operations.list({ ...query, cursor }), summary);
    }),
  });
  add('get', {
    description: 'Show one client',
    usage: '<client-id>',
    options: JSON_OPTION,
    run: booted(async ({ args, options, out }) => {
      printClient(out, options.json === true, await operations.get(clientId(args, 'get')));
    }),
  });
  add('update', {
    description: 'Change fields of a client (only the flags given); switching to a secret method prints the new secret once',
    usage: '<client-id>',
    options: { ...FIELD_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ args, options, out }) => {
      printClient(out, options.json === true, await operations.update(clientId(args, 'update'), bodyFromOptions(options), CLI_ACTOR));
    }),
  });
  add('delete', {
    description: 'Delete a client',
    usage: '<client-id>',
    run: booted(async ({ args, out }) => {
      const id = clientId(args, 'delete');
      await operations.delete(id, CLI_ACTOR);
      out(`deleted client ${id}`);
    }),
  });
  add('rotate-secret', {
    description: 'Issue a new secret for a confidential client; the old one stops working at once',
    usage: '<client-id>',
    options: JSON_OPTION,
    run: booted(async ({ args, options, out }) => {
      printClient(out, options.json === true, await operations.rotateSecret(clientId(args, 'rotate-secret'), CLI_ACTOR));
    }),
  });
  for (const transition of ['suspend', 'revoke', 'reactivate'] as const) {
    add(transition, {
      description:
        transition === 'suspend'
          ? 'Suspend an active client (it cannot authenticate until reactivated)'
          : transition === 'revoke'
            ? 'Revoke a client for good (final)'
            : 'Reactivate a suspended client',
      usage: '<client-id>',
      options: JSON_OPTION,
      run: booted(async ({ args, options, out }) => {
        const client = await operations.transition(clientId(args, transition), transition, CLI_ACTOR);
        if (options.json === true) out(JSON.stringify(client, null, 2));
        else out(`client ${client.client_id} is now ${client.status}`);
      }),
    });
  }
}
