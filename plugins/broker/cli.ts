/**
 * `authserver admin provider …`: the same operations as the admin API, run on the database directly, so they work
 * with the admin listener off. Flags are the API's JSON fields in kebab-case (config members included);
 * `--data` takes the API body itself.
 */
import { booted, dataOption, JSON_OPTION, oneArgument, PAGE_OPTIONS, pageFlags, printPages, printRecord, type CliCommand, type CliContext, type CliOption, type RegisterApi } from 'authplane';
import { brokerErrors } from './errors.js';
import type { ProviderOperations } from './operations.js';
import type { BrokerProvider } from './types.js';

const CLI_ACTOR = { actor_id: 'cli' } as const;

const RECORD_OPTIONS = {
  data: { type: 'string', description: 'The admin API JSON body; flags given as well override its fields' },
  slug: { type: 'string', description: 'slug: lower-case letters, digits, dashes (fixed once created)' },
  'display-name': { type: 'string', description: 'display_name' },
  protocol: { type: 'string', description: 'protocol: oauth, api_key or service_account (fixed once created)' },
} satisfies Record<string, CliOption>;

/** Config members: flag → the member it sets (strings as given). */
const CONFIG_TEXT = {
  'client-id': 'client_id',
  'client-secret-ref': 'client_secret_ref',
  'authorize-url': 'authorize_url',
  'token-url': 'token_url',
  'response-quirk': 'response_quirk',
  'token-auth-method': 'token_auth_method',
  'credential-ref': 'credential_ref',
} as const;

const CONFIG_OPTIONS = {
  'client-id': { type: 'string', description: 'config.client_id (oauth, service_account)' },
  'client-secret-ref': { type: 'string', description: 'config.client_secret_ref: the NAME of the variable holding the client secret' },
  'authorize-url': { type: 'string', description: 'config.authorize_url (oauth)' },
  'token-url': { type: 'string', description: 'config.token_url (oauth, service_account)' },
  'authorize-params': { type: 'string', description: 'config.authorize_params as "access_type=offline,prompt=consent" (oauth)' },
  'default-scopes': { type: 'string', description: 'config.default_scopes, separated by spaces or commas' },
  'scope-separator': { type: 'string', description: 'config.scope_separator: space or comma' },
  'response-quirk': { type: 'string', description: 'config.response_quirk: none, github or slack (oauth)' },
  'token-auth-method': { type: 'string', description: 'config.token_auth_method: client_secret_basic or client_secret_post' },
  pkce: { type: 'boolean', description: 'config.pkce: true (the default on create)' },
  'no-pkce': { type: 'boolean', description: 'config.pkce: false' },
  'credential-ref': { type: 'string', description: 'config.credential_ref: the NAME of the variable holding the API key (api_key)' },
  scopes: { type: 'string', description: 'config.scopes the API key carries, separated by spaces or commas (api_key)' },
} satisfies Record<string, CliOption>;

/** `"access_type=offline,prompt=consent"` → `{access_type: 'offline', prompt: 'consent'}`. */
function parseParams(value: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
    const equals = entry.indexOf('=');
    if (equals < 1) throw brokerErrors.AUTHORIZE_PARAMS_INVALID(`--authorize-params: '${entry}' is not name=value`);
    params[entry.slice(0, equals).trim()] = entry.slice(equals + 1).trim();
  }
  return params;
}

const scopeList = (value: string) => value.split(/[\s,]+/).filter(Boolean);
const separator = (value: string) => (value === 'space' ? ' ' : value === 'comma' ? ',' : value);

function bodyFromOptions(options: CliContext['options']): Record<string, unknown> {
  const body = dataOption(options);
  const text = (flag: string) => (typeof options[flag] === 'string' ? (options[flag] as string) : undefined);
  if (text('slug') !== undefined) body.slug = text('slug');
  if (text('display-name') !== undefined) body.display_name = text('display-name');
  if (text('protocol') !== undefined) body.protocol = text('protocol');
  const config: Record<string, unknown> = {};
  for (const [flag, member] of Object.entries(CONFIG_TEXT)) if (text(flag) !== undefined) config[member] = text(flag);
  if (text('authorize-params') !== undefined) config.authorize_params = parseParams(text('authorize-params')!);
  if (text('default-scopes') !== undefined) config.default_scopes = scopeList(text('default-scopes')!);
  if (text('scopes') !== undefined) config.scopes = scopeList(text('scopes')!);
  if (text('scope-separator') !== undefined) config.scope_separator = separator(text('scope-separator')!);
  if (options.pkce === true) config.pkce = true;
  if (options['no-pkce'] === true) config.pkce = false;
  if (Object.keys(config).length) {
    const given = typeof body.config === 'object' && body.config !== null ? (body.config as Record<string, unknown>) : {};
    body.config = { ...given, ...config };
  }
  return body;
}

function printProvider(out: CliContext['out'], json: boolean, provider: BrokerProvider): void {
  if (json) return printRecord(out, true, provider);
  const { config, ...rest } = provider;
  const shown = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.entries(value).map(([k, v]) => `${k}=${v}`).join(', ') : value);
  // `scope_separator` is a space or a comma: named, so the cell is not blank.
  const members = Object.entries(config).map(([key, value]) => [`config.${key}`, key === 'scope_separator' ? (value === ' ' ? 'space' : 'comma') : shown(value)]);
  printRecord(out, false, { ...rest, ...Object.fromEntries(members) });
}

const target = (args: string[], command: string) => oneArgument(args, `admin provider ${command} <id-or-slug>`);

export function registerProviderCommands(api: RegisterApi, operations: ProviderOperations): void {
  const add = (name: string, command: CliCommand) => api.registries.cliCommands.register(`admin provider ${name}`, command);

  add('create', {
    description: 'Register an upstream provider for broker resources (GitHub, Google, Slack…; recipes in docs/broker.md)',
    options: { ...RECORD_OPTIONS, ...CONFIG_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ options, out }) => {
      printProvider(out, options.json === true, await operations.create(bodyFromOptions(options), CLI_ACTOR));
    }),
  });
  add('list', {
    description: 'List broker providers, oldest first, page after page',
    options: { ...PAGE_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ options, out }) => {
      const flags = pageFlags(options);
      await printPages({ options, out }, 'providers', (cursor) => operations.page({ ...flags, cursor }), (p) => ({
        id: p.id,
        slug: p.slug,
        protocol: p.protocol,
        display_name: p.display_name,
      }));
    }),
  });
  add('show', {
    description: 'Show one broker provider',
    usage: '<id-or-slug>',
    options: JSON_OPTION,
    run: booted(async ({ args, options, out }) => {
      printProvider(out, options.json === true, await operations.get(target(args, 'show')));
    }),
  });
  add('update', {
    description: 'Change the display name or config members of a provider (only the flags given; lists and authorize params are replaced whole)',
    usage: '<id-or-slug>',
    options: { ...RECORD_OPTIONS, ...CONFIG_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ args, options, out }) => {
      printProvider(out, options.json === true, await operations.update(target(args, 'update'), bodyFromOptions(options), CLI_ACTOR));
    }),
  });
  add('delete', {
    description: 'Delete a broker provider (refused while broker resources name it, and while users hold grants with it unless --cascade)',
    usage: '<id-or-slug>',
    options: { cascade: { type: 'boolean', description: "Revoke the users' grants with it too" } },
    run: booted(async ({ args, options, out }) => {
      const id = target(args, 'delete');
      await operations.delete(id, CLI_ACTOR, { cascade: options.cascade === true });
      out(`deleted broker provider ${id}`);
    }),
  });
}
