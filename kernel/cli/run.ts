import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { AuthPlane } from '../app.js';
import { loadConfigFile } from '../config/load.js';
import type { AuthPlaneConfig } from '../config/types.js';
import { BootError } from '../errors.js';
import type { PluginInstance } from '../plugin/define.js';
import { packageVersion } from '../version.js';
import type { CliCommand } from './command.js';

export interface CliEnvironment {
  /** Plugins used when there is no config file, or the config lists none. */
  defaultPlugins: () => PluginInstance[];
  /** A config compiled into the program (`authserver build`): used as it is; no config file is read. */
  config?: AuthPlaneConfig;
  out?: (line: string) => void;
  err?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

const GLOBAL_HELP = `Usage: authserver <command> [options]

Global options:
  --config <path>   Config file (default: ./authplane.config.ts if present)
  --help, -h        Show help for a command (authserver help <command> does the same)
  --version, -v     Print the version`;

function commandHelp(name: string, command: CliCommand): string {
  const rows: [string, string][] = [
    ...Object.entries(command.options ?? {}).map(([option, spec]): [string, string] => [
      `  --${option}${spec.type === 'string' ? ' <value>' : ''}`,
      spec.description,
    ]),
    ['  --config <path>', 'Config file'],
    ['  --help', 'Show this help'],
  ];
  // Two spaces at least between the longest flag and its description.
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [
    `Usage: authserver ${name}${command.usage ? ` ${command.usage}` : ''} [options]`,
    '',
    command.description,
    '',
    'Options:',
    ...rows.map(([flag, description]) => flag.padEnd(width) + description),
  ].join('\n');
}

function commandList(commands: [string, CliCommand][]): string {
  const width = Math.max(...commands.map(([n]) => n.length)) + 2;
  return [
    GLOBAL_HELP,
    '',
    'Commands:',
    ...commands.sort(([a], [b]) => a.localeCompare(b)).map(([n, c]) => `  ${n.padEnd(width)}${c.description}`),
    `  ${'help'.padEnd(width)}Show this list, or with a command its help`,
    `  ${'version'.padEnd(width)}Print the version`,
  ].join('\n');
}

/**
 * The commands one level below a group (`admin`, `admin client`): its commands with their descriptions, and its
 * groups with the names of theirs. Undefined when no command starts with the group's words.
 */
function groupHelp(prefix: string, commands: [string, CliCommand][]): string | undefined {
  const depth = prefix.split(' ').length;
  const below = commands.filter(([n]) => n.startsWith(`${prefix} `)).sort(([a], [b]) => a.localeCompare(b));
  if (below.length === 0) return undefined;
  const rows = new Map<string, string>();
  for (const [name, command] of below) {
    const words = name.split(' ');
    if (words.length === depth + 1) {
      rows.set(name, command.description);
    } else {
      const group = `${words.slice(0, depth + 1).join(' ')} <command>`;
      const subcommand = words.slice(depth + 1).join(' ');
      rows.set(group, rows.has(group) ? `${rows.get(group)!}, ${subcommand}` : `Commands: ${subcommand}`);
    }
  }
  const width = Math.max(...[...rows.keys()].map((n) => n.length)) + 2;
  return [
    `Usage: authserver ${prefix} <command> [options]`,
    '',
    'Commands:',
    ...[...rows].map(([n, d]) => `  ${n.padEnd(width)}${d}`),
    '',
    `Run authserver ${prefix} <command> --help for its options.`,
  ].join('\n');
}

/**
 * The default preset stands in only for a config that says nothing about plugins (no config file, or no `plugins`
 * key). A list is taken at its word, and an empty one is refused rather than replaced: a server without plugins
 * has no storage driver and cannot run.
 */
function chosenPlugins(loaded: AuthPlaneConfig | undefined, cli: CliEnvironment): NonNullable<AuthPlaneConfig['plugins']> {
  if (loaded?.plugins === undefined) return cli.defaultPlugins();
  if (loaded.plugins.length === 0) {
    throw new BootError(
      'AP_ERR_CONFIG_INVALID',
      'invalid configuration:\n  plugins: is empty, and a server without plugins has no storage driver; list the plugins to enable ' +
        '(e.g. plugins: [storageSqlite(), keystoreKeyfile(), clients(), resources(), clientCredentials()]), or remove the plugins key for the default preset',
    );
  }
  return loaded.plugins;
}

/** `authserver …`: returns the exit code. Errors print `error: <message>` once. */
export async function runCli(argv: readonly string[], cli: CliEnvironment): Promise<number> {
  const out = cli.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = cli.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    return await dispatch(argv, cli, out);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    err(`error: ${message}`);
    return 1;
  }
}

async function dispatch(given: readonly string[], cli: CliEnvironment, out: (line: string) => void): Promise<number> {
  // `authserver help [<command>]` is `authserver [<command>] --help`.
  const argv = given[0] === 'help' ? [...given.slice(1), '--help'] : given;
  const words = argv.filter((a, i) => !a.startsWith('-') && !(i > 0 && argv[i - 1] === '--config'));
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if ((words[0] === 'version' && !wantsHelp) || argv[0] === '--version' || argv[0] === '-v') {
    out(`authserver ${packageVersion()}`);
    return 0;
  }
  const configIndex = argv.indexOf('--config');
  const configPath = configIndex >= 0 ? argv[configIndex + 1] : argv.find((a) => a.startsWith('--config='))?.slice(9);
  if (configIndex >= 0 && (!configPath || configPath.startsWith('-'))) {
    throw new BootError('AP_ERR_CLI_USAGE', '--config needs a path');
  }
  if (cli.config && configPath !== undefined) {
    throw new BootError('AP_ERR_CLI_USAGE', 'this server was built with its config (authserver build); it reads no --config file');
  }
  const loaded = cli.config ?? (await loadConfigFile(configPath));
  const config: AuthPlaneConfig = { ...loaded, plugins: chosenPlugins(loaded, cli) };

  const isServe = words[0] === 'serve' && !wantsHelp;
  const server = new AuthPlane(config, {
    env: cli.env,
    // Commands other than serve print results on stdout; their logs go to stderr, warnings and worse only, and not
    // the warnings about serving (no admin key, a plugin's ephemeral secret), which no other command uses.
    ...(isServe
      ? {}
      : { logLevel: 'warn', logDestination: pino.destination({ dest: 2, sync: true }), servingWarnings: false }),
  });
  const commands = server.registries.cliCommands.entries();
  let match: [string, CliCommand] | undefined;
  for (let n = words.length; n > 0 && !match; n--) {
    const name = words.slice(0, n).join(' ');
    const command = server.registries.cliCommands.get(name);
    if (command) match = [name, command];
  }
  if (!match) {
    const prefix = words.join(' ');
    const group = words.length > 0 && wantsHelp ? groupHelp(prefix, commands) : undefined;
    if (group) {
      out(group);
      return 0;
    }
    // `version` and `help` are no registered commands: their help is the list, which describes them.
    if (words.length === 0 || (wantsHelp && words.length === 1 && (prefix === 'version' || prefix === 'help'))) {
      out(commandList(commands));
      return wantsHelp ? 0 : 1;
    }
    const near = commands.filter(([n]) => n.startsWith(prefix)).map(([n]) => n);
    throw new BootError(
      'AP_ERR_CLI_USAGE',
      near.length ? `'${prefix}' needs a subcommand: ${near.join(', ')}` : `unknown command '${prefix}' (see authserver --help)`,
    );
  }
  const [name, command] = match;
  if (wantsHelp) {
    out(commandHelp(name, command));
    return 0;
  }
  const parsed = (() => {
    try {
      return parseArgs({
        args: [...argv],
        allowPositionals: true,
        strict: true,
        options: {
          // parseArgs rejects `short: undefined`, so the key is present only when the option has a short form.
          ...Object.fromEntries(
            Object.entries(command.options ?? {}).map(([k, v]) => [k, { type: v.type, ...(v.short ? { short: v.short } : {}) }]),
          ),
          config: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (e) {
      throw new BootError('AP_ERR_CLI_USAGE', `${(e as Error).message} (see authserver ${name} --help)`);
    }
  })();
  const args = parsed.positionals.slice(name.split(' ').length);
  let booted: Promise<AuthPlane> | undefined;
  try {
    const code = await command.run({
      args,
      options: parsed.values as Record<string, string | boolean | undefined>,
      out,
      server,
      boot: () => (booted ??= server.boot().then(() => server)),
    });
    return code ?? 0;
  } finally {
    // Whatever a command opened (database, keys, plugins) is closed here, once, so commands need no try/finally.
    if (booted) await server.stop();
  }
}
