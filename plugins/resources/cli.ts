/**
 * `authserver admin resource …`: the same operations as the admin API, run on the database directly, so they work
 * with the admin listener off. Flags are the API's JSON fields in kebab-case; `--data` takes the API body itself.
 */
import { dataOption, JSON_OPTION, oneArgument, PAGE_OPTIONS, pageFlags, printPages, printRecord, type CliCommand, type CliContext, type CliOption, type RegisterApi, booted } from 'authplane';
import type { Resource } from './types.js';
import type { ResourceOperations } from './operations.js';

const CLI_ACTOR = { actor_id: 'cli' } as const;


const FIELD_OPTIONS = {
  data: { type: 'string', description: 'The admin API JSON body; flags given as well override its fields' },
  slug: { type: 'string', description: 'slug: lower-case letters, digits, dashes' },
  'display-name': { type: 'string', description: 'display_name' },
  uri: { type: 'string', description: 'uri: the resource identifier and token audience' },
  'backend-kind': { type: 'string', description: 'backend_kind: mint or broker' },
  'broker-provider-id': { type: 'string', description: 'broker_provider_id (broker resources)' },
  scopes: { type: 'string', description: 'scopes as "name=description,name2" (use --data for commas in descriptions)' },
} satisfies Record<string, CliOption>;

/**
 * `"files:read=Read your files,files:write"` → `[{name: 'files:read', description: 'Read your files'},
 * {name: 'files:write'}]`. The separator is `=`, not `:`, because MCP scope names are full of colons.
 */
function parseScopes(value: string): { name: string; description?: string }[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const equals = item.indexOf('=');
      if (equals < 0) return { name: item };
      const description = item.slice(equals + 1).trim();
      return { name: item.slice(0, equals).trim(), ...(description ? { description } : {}) };
    });
}

function bodyFromOptions(options: CliContext['options']): Record<string, unknown> {
  const fields = dataOption(options);
  const text = (flag: keyof typeof FIELD_OPTIONS) => (typeof options[flag] === 'string' ? (options[flag] as string) : undefined);
  const set = (field: string, value: unknown) => value !== undefined && (fields[field] = value);
  set('slug', text('slug'));
  set('display_name', text('display-name'));
  set('uri', text('uri'));
  set('backend_kind', text('backend-kind'));
  set('broker_provider_id', text('broker-provider-id'));
  const scopes = text('scopes');
  set('scopes', scopes === undefined ? undefined : parseScopes(scopes));
  return fields;
}

/**
 * AuthPlane matches a resource with or without one trailing slash, MCP clients do not: they compare the Protected
 * Resource Metadata `resource` (the MCP server's copy of this URI) with the URL they connect to, and `…/mcp/` does
 * not cover `…/mcp`. Saved anyway (an endpoint may really end in a slash); stderr, so --json output stays clean.
 * A bare origin is left alone: URL parsers spell it with the slash whatever was typed.
 */
function warnOnTrailingSlash(resource: Resource): void {
  if (!resource.uri.endsWith('/') || new URL(resource.uri).pathname === '/') return;
  process.stderr.write(
    `warning: uri ${resource.uri} ends in a slash: MCP clients compare the Protected Resource Metadata \`resource\` with the URL ` +
      `they connect to exactly, so register the MCP endpoint as clients connect to it (usually ${resource.uri.replace(/\/+$/, '')})\n`,
  );
}

const target = (args: string[], command: string) => oneArgument(args, `admin resource ${command} <id-or-slug>`);

function printResource(out: CliContext['out'], json: boolean, resource: Resource): void {
  if (json) return printRecord(out, true, resource);
  const scopes = resource.scopes.map((s) => (s.description ? `${s.name} (${s.description})` : s.name)).join(', ');
  printRecord(out, false, { ...resource, scopes });
}

const summary = (r: Resource) => ({
  id: r.id,
  slug: r.slug,
  backend_kind: r.backend_kind,
  uri: r.uri,
  scopes: r.scopes.map((s) => s.name).join(' '),
});


export function registerResourceCommands(api: RegisterApi, operations: ResourceOperations): void {
  const add = (name: string, command: CliCommand) => api.registries.cliCommands.register(`admin resource ${name}`, command);

  add('create', {
    description: 'Register a protected resource (an MCP server)',
    options: { ...FIELD_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ options, out }) => {
      const resource = await operations.create(bodyFromOptions(options), CLI_ACTOR);
      printResource(out, options.json === true, resource);
      warnOnTrailingSlash(resource);
    }),
  });
  add('list', {
    description: 'List protected resources, oldest first, page after page',
    options: { ...PAGE_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ options, out }) => {
      const flags = pageFlags(options);
      await printPages({ options, out }, 'resources', (cursor) => operations.list({ ...flags, cursor }), summary);
    }),
  });
  add('get', {
    description: 'Show one resource',
    usage: '<id-or-slug>',
    options: JSON_OPTION,
    run: booted(async ({ args, options, out }) => {
      printResource(out, options.json === true, await operations.get(target(args, 'get')));
    }),
  });
  add('update', {
    description: 'Change fields of a resource (only the flags given; --scopes and policy replace the whole list)',
    usage: '<id-or-slug>',
    options: { ...FIELD_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ args, options, out }) => {
      const body = bodyFromOptions(options);
      const resource = await operations.update(target(args, 'update'), body, CLI_ACTOR);
      printResource(out, options.json === true, resource);
      if ('uri' in body) warnOnTrailingSlash(resource);
    }),
  });
  add('delete', {
    description: 'Delete a resource (refused while fronting links or other records refer to it, unless --cascade)',
    usage: '<id-or-slug>',
    options: { cascade: { type: 'boolean', description: 'Delete the records that refer to it too' } },
    run: booted(async ({ args, options, out }) => {
      const id = target(args, 'delete');
      await operations.delete(id, CLI_ACTOR, { cascade: options.cascade === true });
      out(`deleted resource ${id}`);
    }),
  });
}
