/**
 * `authserver admin fronting …`: the same operations as the admin API, run on the database directly, so they work
 * with the admin listener off.
 */
import { booted, dataOption, JSON_OPTION, oneArgument, PAGE_OPTIONS, pageFlags, printPages, printRecord, type CliCommand, type CliContext, type RegisterApi } from 'authplane';
import { frontingErrors } from './errors.js';
import type { FrontingOperations } from './operations.js';
import type { FrontingLink } from './types.js';

const CLI_ACTOR = { actor_id: 'cli' } as const;

/**
 * `"files:read=docs:read,docs:list;files:write=docs:write"` → `{"files:read": ["docs:read", "docs:list"],
 * "files:write": ["docs:write"]}`. `=` and `;`, not `:`, because MCP scope names are full of colons.
 */
function parseScopeMap(value: string): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const entry of value.split(';').map((e) => e.trim()).filter(Boolean)) {
    const equals = entry.indexOf('=');
    if (equals < 1) throw frontingErrors.SCOPE_MAP_INVALID(`--scope-map: '${entry}' is not source-scope=target-scope[,target-scope…]`);
    map[entry.slice(0, equals).trim()] = entry.slice(equals + 1).split(',').map((s) => s.trim()).filter(Boolean);
  }
  return map;
}

function bodyFromOptions(options: CliContext['options']): Record<string, unknown> {
  const body = dataOption(options);
  if (typeof options.source === 'string') body.source = options.source;
  if (typeof options.target === 'string') body.target = options.target;
  if (typeof options['scope-map'] === 'string') body.scope_map = parseScopeMap(options['scope-map']);
  return body;
}

const scopeMapText = (map: Record<string, string[]>) => Object.entries(map).map(([from, to]) => `${from}=${to.join(',')}`).join('; ');

function printLink(out: CliContext['out'], json: boolean, link: FrontingLink): void {
  printRecord(out, json, json ? link : { ...link, scope_map: scopeMapText(link.scope_map) });
}

const linkId = (args: string[], command: string) => oneArgument(args, `admin fronting ${command} <id>`);

export function registerFrontingCommands(api: RegisterApi, operations: FrontingOperations): void {
  const add = (name: string, command: CliCommand) => api.registries.cliCommands.register(`admin fronting ${name}`, command);

  add('create', {
    description: 'Link two resources: gateways of the source may exchange its tokens for the target (--dry-run shows what it would allow)',
    options: {
      data: { type: 'string', description: 'The admin API JSON body; flags given as well override its fields' },
      source: { type: 'string', description: 'source: the fronted resource (id, slug or URI)' },
      target: { type: 'string', description: 'target: the resource behind it (id, slug or URI)' },
      'scope-map': { type: 'string', description: 'scope_map as "src=t1,t2;src2=t3"' },
      'dry-run': { type: 'boolean', description: 'Show what the link would allow, and whether it would be refused, without creating it' },
      ...JSON_OPTION,
    },
    run: booted(async ({ options, out }) => {
      const body = bodyFromOptions(options);
      if (options['dry-run'] === true) {
        const answer = await operations.dryRun(body);
        // Exit 1 when the link would be refused, so a script can test a link before it creates it.
        if (options.json === true) printRecord(out, true, answer);
        else printRecord(out, false, {
          would_create: answer.would_create,
          refused: answer.refused?.detail ?? null,
          source: answer.source?.slug ?? null,
          target: answer.target?.slug ?? null,
          gateway_client_ids: answer.gateway_client_ids,
          allows: scopeMapText(answer.allows),
          warnings: answer.warnings,
        });
        return answer.would_create ? 0 : 1;
      }
      printLink(out, options.json === true, await operations.create(body, CLI_ACTOR));
    }),
  });
  add('list', {
    description: 'List fronting links, oldest first, page after page',
    options: {
      source: { type: 'string', description: 'Only links from this resource (id, slug or URI)' },
      target: { type: 'string', description: 'Only links to this resource (id, slug or URI)' },
      ...PAGE_OPTIONS,
      ...JSON_OPTION,
    },
    run: booted(async ({ options, out }) => {
      const query: Record<string, string> = pageFlags(options);
      for (const flag of ['source', 'target']) if (typeof options[flag] === 'string') query[flag] = options[flag] as string;
      await printPages({ options, out }, 'links', (cursor) => operations.list({ ...query, cursor }), (l) => ({
        id: l.id,
        source: l.source_slug,
        target: l.target_slug,
        scope_map: scopeMapText(l.scope_map),
      }));
    }),
  });
  add('get', {
    description: 'Show one fronting link',
    usage: '<id>',
    options: JSON_OPTION,
    run: booted(async ({ args, options, out }) => {
      printLink(out, options.json === true, await operations.get(linkId(args, 'get')));
    }),
  });
  add('delete', {
    description: 'Delete a fronting link',
    usage: '<id>',
    run: booted(async ({ args, out }) => {
      const id = linkId(args, 'delete');
      await operations.delete(id, CLI_ACTOR);
      out(`deleted fronting link ${id}`);
    }),
  });
}
