/**
 * `authserver admin idp …`: the same operations as the admin API (`/admin/idps`), run on the database directly, so
 * they work with the admin listener off. Flags are the API's JSON fields in kebab-case; `--data` takes the body.
 */
import { booted, dataOption, JSON_OPTION, oneArgument, PAGE_OPTIONS, pageFlags, printPages, printRecord, printRecords, type CliCommand, type CliContext, type CliOption, type RegisterApi } from 'authplane';
import { trustedIssuerErrors } from './errors.js';
import type { IssuerOperations } from './operations.js';

const CLI_ACTOR = { actor_id: 'cli' } as const;

const FIELD_OPTIONS = {
  data: { type: 'string', description: 'The admin API JSON body; flags given as well override its fields' },
  name: { type: 'string', description: 'name (lower case, digits, . _ -)' },
  issuer: { type: 'string', description: "issuer: compared exactly with the tokens' iss, trailing slash included" },
  'jwks-uri': { type: 'string', description: "jwks_uri (default: discovered from the issuer's metadata)" },
  audience: { type: 'string', description: "audience the issuer's tokens carry (default: this server's issuer)" },
  enable: { type: 'boolean', description: 'enabled: true' },
  disable: { type: 'boolean', description: 'enabled: false' },
  workload: { type: 'boolean', description: 'workload: its tokens may authenticate clients through workload rules' },
  'subject-mode': { type: 'string', description: 'subject_mode: auto_map or strict' },
} satisfies Record<string, CliOption>;

function bodyFromOptions(options: CliContext['options']): Record<string, unknown> {
  const body = dataOption(options);
  const text = (flag: string) => (typeof options[flag] === 'string' ? (options[flag] as string) : undefined);
  const set = (field: string, value: unknown) => value !== undefined && (body[field] = value);
  set('name', text('name'));
  set('issuer', text('issuer'));
  set('jwks_uri', text('jwks-uri'));
  set('audience', text('audience'));
  set('subject_mode', text('subject-mode'));
  if (options.enable === true && options.disable === true) throw trustedIssuerErrors.ENABLE_CONFLICT('--enable and --disable contradict each other');
  set('enabled', options.enable === true ? true : options.disable === true ? false : undefined);
  set('workload', options.workload === true ? true : undefined);
  return body;
}

export function registerIssuerCommands(api: RegisterApi, operations: IssuerOperations): void {
  const add = (name: string, command: CliCommand) => api.registries.cliCommands.register(`admin idp ${name}`, command);
  const one = (args: string[], command: string) => oneArgument(args, `admin idp ${command} <id-or-name>`);

  add('create', {
    description: 'Trust an issuer (an enterprise IdP minting ID-JAGs, or a workload platform)',
    options: { ...FIELD_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ options, out }) => printRecord(out, options.json === true, await operations.create(bodyFromOptions(options), CLI_ACTOR))),
  });
  add('list', {
    description: 'List trusted issuers by name, page after page',
    options: { ...PAGE_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ options, out }) => {
      const flags = pageFlags(options);
      await printPages({ options, out }, 'idps', (cursor) => operations.list({ ...flags, cursor }), (r) => ({
        id: r.id,
        name: r.name,
        issuer: r.issuer,
        enabled: r.enabled,
        workload: r.workload,
        subject_mode: r.subject_mode,
      }));
    }),
  });
  add('get', {
    description: 'Show one trusted issuer',
    usage: '<id-or-name>',
    options: { ...JSON_OPTION },
    run: booted(async ({ args, options, out }) => printRecord(out, options.json === true, await operations.get(one(args, 'get')))),
  });
  add('update', {
    description: 'Change a trusted issuer (only the fields given)',
    usage: '<id-or-name>',
    options: { ...FIELD_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ args, options, out }) =>
      printRecord(out, options.json === true, await operations.update(one(args, 'update'), bodyFromOptions(options), CLI_ACTOR)),
    ),
  });
  add('delete', {
    description: 'Stop trusting an issuer (its workload rules go with it)',
    usage: '<id-or-name>',
    run: booted(async ({ args, out }) => {
      await operations.delete(one(args, 'delete'), CLI_ACTOR);
      out('deleted');
    }),
  });
  add('refresh', {
    description: "Fetch the issuer's JWKS now",
    usage: '<id-or-name>',
    options: { ...JSON_OPTION },
    run: booted(async ({ args, options, out }) => printRecord(out, options.json === true, await operations.refresh(one(args, 'refresh'), CLI_ACTOR))),
  });
  add('rule add', {
    description: 'Map a workload token (sub and claim values) of a workload issuer to a client',
    usage: '<id-or-name>',
    options: {
      data: { type: 'string', description: 'The admin API JSON body' },
      subject: { type: 'string', description: "subject: the token's exact sub" },
      'client-id': { type: 'string', description: 'client_id it authenticates' },
      ...JSON_OPTION,
    },
    run: booted(async ({ args, options, out }) => {
      const body = dataOption(options);
      if (typeof options.subject === 'string') body.subject = options.subject;
      if (typeof options['client-id'] === 'string') body.client_id = options['client-id'];
      printRecord(out, options.json === true, await operations.addRule(one(args, 'rule add'), body, CLI_ACTOR));
    }),
  });
  add('rule list', {
    description: "List an issuer's workload rules",
    usage: '<id-or-name>',
    options: { ...JSON_OPTION },
    run: booted(async ({ args, options, out }) => printRecords(out, options.json === true, 'rules', (await operations.rules(one(args, 'rule list'))) as never)),
  });
  add('rule delete', {
    description: 'Delete a workload rule',
    usage: '<id-or-name> <rule-id>',
    run: booted(async ({ args, out }) => {
      if (args.length !== 2) throw trustedIssuerErrors.RULE_USAGE('usage: authserver admin idp rule delete <id-or-name> <rule-id>');
      await operations.deleteRule(args[0]!, args[1]!, CLI_ACTOR);
      out('deleted');
    }),
  });
}
