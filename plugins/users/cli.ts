/**
 * `authserver admin user …`: the same operations as the admin API, run on the database directly, so they work with
 * the admin listener off (and create the first admin before any API key exists). `--password-stdin` keeps the
 * password out of the process list and shell history.
 */
import { JSON_OPTION, oneArgument, PAGE_OPTIONS, pageFlags, printPages, printRecord, type CliCommand, type CliContext, type CliOption, type RegisterApi, booted } from 'authplane';
import type { User } from './types.js';
import { userErrors } from './errors.js';
import type { Transition, UserOperations } from './operations.js';

const CLI_ACTOR = { actor_id: 'cli' } as const;

const FIELD_OPTIONS = {
  email: { type: 'string', description: 'email (stored lower-cased)' },
  name: { type: 'string', description: 'name' },
  password: { type: 'string', description: 'password, at least 8 characters (prefer --password-stdin)' },
  'password-stdin': { type: 'boolean', description: 'Read the password from standard input (one line)' },
  role: { type: 'string', description: 'role: admin or user (default user)' },
} satisfies Record<string, CliOption>;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function bodyFromOptions(options: CliContext['options']): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  for (const field of ['email', 'name', 'password', 'role'] as const) {
    if (typeof options[field] === 'string') body[field] = options[field];
  }
  if (options['password-stdin'] === true) {
    if (body.password !== undefined) throw userErrors.PASSWORD_TWICE('give --password or --password-stdin, not both');
    body.password = await readStdin();
  }
  return body;
}

const target = (args: string[], command: string) => oneArgument(args, `admin user ${command} <id-or-email>`);

const summary = (u: User) => ({ id: u.id, email: u.email, name: u.name, role: u.role, status: u.status, last_login_at: u.last_login_at });

export function registerUserCommands(api: RegisterApi, operations: UserOperations): void {
  const add = (name: string, command: CliCommand) => api.registries.cliCommands.register(`admin user ${name}`, command);

  add('create', {
    description: 'Create a local user (email and password login)',
    options: { ...FIELD_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ options, out }) => {
      printRecord(out, options.json === true, await operations.create(await bodyFromOptions(options), CLI_ACTOR));
    }),
  });
  add('list', {
    description: 'List users, oldest first, page after page',
    options: { ...PAGE_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ options, out }) => {
      const flags = pageFlags(options);
      await printPages({ options, out }, 'users', (cursor) => operations.list({ ...flags, cursor }), summary);
    }),
  });
  add('get', {
    description: 'Show one user',
    usage: '<id-or-email>',
    options: JSON_OPTION,
    run: booted(async ({ args, options, out }) => {
      printRecord(out, options.json === true, await operations.get(target(args, 'get')));
    }),
  });
  add('update', {
    description: 'Change fields of a user (only the flags given); --password sets a new password',
    usage: '<id-or-email>',
    options: { ...FIELD_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ args, options, out }) => {
      const user = await operations.update(target(args, 'update'), await bodyFromOptions(options), CLI_ACTOR);
      printRecord(out, options.json === true, user);
    }),
  });
  add('delete', {
    description: 'Delete a user',
    usage: '<id-or-email>',
    run: booted(async ({ args, out }) => {
      const id = target(args, 'delete');
      await operations.delete(id, CLI_ACTOR);
      out(`deleted user ${id}`);
    }),
  });
  const IDENTITY_OPTIONS = {
    provider: { type: 'string', description: "the upstream identity provider's name (an oidcFederation provider id)" },
    subject: { type: 'string', description: "the person's `sub` at that provider" },
  } satisfies Record<string, CliOption>;
  const identity = (options: CliContext['options']) => ({ provider: options.provider, subject: options.subject });
  add('link', {
    description: 'Link an upstream identity (provider and sub) to an existing user: its federated logins then sign in as this user',
    usage: '<id-or-email> --provider <name> --subject <sub>',
    options: { ...IDENTITY_OPTIONS, ...JSON_OPTION },
    run: booted(async ({ args, options, out }) => {
      const link = await operations.link(target(args, 'link'), identity(options), CLI_ACTOR);
      if (options.json === true) out(JSON.stringify(link, null, 2));
      else out(`linked ${link.provider} identity ${link.subject} to user ${link.user_id}`);
    }),
  });
  add('unlink', {
    description: 'Remove an upstream identity from a user: its next federated login is a new user, or refused if the email is taken',
    usage: '<id-or-email> --provider <name> --subject <sub>',
    options: IDENTITY_OPTIONS,
    run: booted(async ({ args, options, out }) => {
      const { provider, subject } = identity(options);
      await operations.unlink(target(args, 'unlink'), { provider, subject }, CLI_ACTOR);
      out(`unlinked ${String(provider)} identity ${String(subject)}`);
    }),
  });
  for (const transition of ['disable', 'enable'] as const satisfies readonly Transition[]) {
    add(transition, {
      description: transition === 'disable' ? 'Disable an active user (password login refused)' : 'Enable a disabled user',
      usage: '<id-or-email>',
      options: JSON_OPTION,
      run: booted(async ({ args, options, out }) => {
        const user = await operations.transition(target(args, transition), transition, CLI_ACTOR);
        if (options.json === true) out(JSON.stringify(user, null, 2));
        else out(`user ${user.email} is now ${user.status}`);
      }),
    });
  }
}
