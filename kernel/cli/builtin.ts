import type { AuthPlane } from '../app.js';
import { BootError } from '../errors.js';
import { startupBanner } from './banner.js';
import { buildArguments, buildReport, buildServer, requirePluginList } from './build.js';
import { keyView } from '../http/system-routes.js';
import type { RegistryCatalog } from '../hooks.js';
import type { CliCommand } from './command.js';
import { parseDuration } from './duration.js';
import { printRecords } from './output.js';
import { registerTransferCommands } from './transfer-commands.js';
import { runPurgeTarget } from '../storage/purge-run.js';

/** Runs the server until SIGTERM/SIGINT, then shuts down gracefully; SIGHUP re-reads the signing keys. */
async function serve(server: AuthPlane, banner: ((text: string) => void) | undefined): Promise<number> {
  await server.boot({ migrate: true });
  const addresses = await server.listen();
  banner?.(startupBanner(server.config, addresses, server.version));
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      server.log.info({ signal }, 'shutting down');
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGHUP', onHup);
      void server.stop().then(resolve);
    };
    const onTerm = () => shutdown('SIGTERM');
    const onInt = () => shutdown('SIGINT');
    // The Unix convention for "re-read what you loaded at start": a key restored into the store, or a store the
    // server cannot watch, is picked up without a restart or waiting for signing.reloadInterval.
    const onHup = () => {
      server.reloadKeys().catch((err: unknown) => server.log.error({ err }, 'signing key reload on SIGHUP failed'));
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
  });
  return 0;
}

export function registerBuiltinCommands(commands: RegistryCatalog['cliCommands']): void {
  const add = (name: string, command: CliCommand) => commands.register(name, command, 'kernel');

  add('serve', {
    description: 'Migrate the database, then serve the public and admin listeners until SIGTERM/SIGINT (SIGHUP reloads the signing keys)',
    options: {
      banner: { type: 'boolean', description: 'Print the start-up summary even when stdout is not a terminal' },
      'no-banner': { type: 'boolean', description: 'Print only the JSON log lines, on a terminal too' },
    },
    run: ({ server, options, out }) => {
      // For a person at a terminal; a pipe or a log collector gets JSON lines only.
      const wanted = options.banner === true || (process.stdout.isTTY === true && options['no-banner'] !== true);
      return serve(server, wanted ? out : undefined);
    },
  });

  add('build', {
    description: 'Bundle a server of only the plugins the config imports into --out, runnable as node <out>/authserver.js',
    usage: '--config <file> --out <dir>',
    options: { out: { type: 'string', description: 'Directory to write (absent, empty, or an earlier build, which is replaced)' } },
    async run({ server, options, out }) {
      const { configFile, outDir } = buildArguments(options);
      await requirePluginList(configFile);
      const built = await buildServer(configFile, outDir);
      // The plugins' own build steps (the admin console's bundle) run with the registries of the config just built.
      const steps: [string, string][] = [];
      for (const [name, step] of server.registries.buildSteps.entries()) {
        try {
          steps.push([name, await step.run({ outDir, registries: server.registries })]);
        } catch (cause) {
          throw new BootError('AP_ERR_CONFIG_LOAD', `authserver build: step '${name}' failed: ${(cause as Error).message}`, { cause });
        }
      }
      for (const line of buildReport(built, steps)) out(line);
    },
  });

  add('migrate', {
    description: 'Apply pending database migrations (idempotent: a second run applies nothing)',
    async run({ server, out }) {
      try {
        await server.openDatabase();
        const applied = await server.migrate();
        out(applied.length ? `applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}` : 'database is up to date (nothing to apply)');
      } finally {
        await server.stop(); // opened without boot(), so the CLI does not know to stop it
      }
    },
  });

  add('purge', {
    description: 'Delete expired rows: runs every purge target plugins registered, printing deleted rows per target',
    options: {
      only: { type: 'string', description: 'Comma list of targets to run (default: all)' },
      timeout: { type: 'string', description: 'Time limit for the whole purge, e.g. 10m, 90s (default 10m)' },
      'older-than': {
        type: 'string',
        description: 'Replace the retention period of targets that keep rows for one (audit_events, token_issuances), e.g. 90d, 12h',
      },
    },
    async run({ server: registered, boot, options, out }) {
      const targets = registered.registries.purgeTargets;
      const all = targets.names();
      const only = typeof options.only === 'string' ? options.only.split(',').map((s) => s.trim()).filter(Boolean) : all;
      const unknown = only.filter((name) => !all.includes(name));
      if (unknown.length) {
        throw new BootError('AP_ERR_CLI_USAGE', `unknown purge target(s): ${unknown.join(', ')} (known: ${all.join(', ') || 'none'})`);
      }
      const timeoutMs = parseDuration(typeof options.timeout === 'string' ? options.timeout : '10m');
      let olderThanMs: number | undefined;
      if (typeof options['older-than'] === 'string') {
        olderThanMs = parseDuration(options['older-than']);
        // Rows that expire by themselves have no age to compare: guessing one would delete what is still valid.
        const without = only.filter((name) => targets.get(name)!.retention !== true);
        if (without.length) {
          const with_ = all.filter((name) => targets.get(name)!.retention === true);
          throw new BootError(
            'AP_ERR_CLI_USAGE',
            `--older-than applies only to targets with a retention period (${with_.join(', ') || 'none'}); pick them with --only (not: ${without.join(', ')})`,
          );
        }
      }
      const server = await boot();
      const signal = AbortSignal.timeout(timeoutMs);
      let failed = 0;
      for (const name of only) {
        const target = server.registries.purgeTargets.get(name)!;
        try {
          if (signal.aborted) throw new Error('purge timed out before this target ran');
          const { deleted } = await Promise.race([
            runPurgeTarget(target, { db: server.db, now: new Date(), signal, ...(olderThanMs === undefined ? {} : { olderThanMs }) }),
            new Promise<never>((_, reject) =>
              signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true }),
            ),
          ]);
          out(`${name}: ${deleted} deleted`);
        } catch (err) {
          failed++;
          out(`${name}: failed: ${(err as Error).message}`);
        }
      }
      return failed ? 1 : 0;
    },
  });

  registerTransferCommands(commands);

  add('admin key list', {
    description: 'List signing keys: the current one and rotated keys still published in the JWKS',
    options: { json: { type: 'boolean', description: 'Print JSON' } },
    async run({ boot, options, out }) {
      const server = await boot();
      printRecords(out, options.json === true, 'keys', server.keys.list().map(keyView));
    },
  });

  add('admin key rotate', {
    description:
      'Generate a new signing key; running servers sign with it within a second (watched key store) or signing.reloadInterval, and the previous key stays published until its tokens expire',
    options: { json: { type: 'boolean', description: 'Print JSON' } },
    async run({ boot, options, out }) {
      const server = await boot();
      const key = keyView(await server.keys.rotate());
      // This process signs with it now; running servers switch when they notice the store changed.
      const interval = server.config.signing.reloadInterval;
      const when = server.keyStore.watched
        ? `within a second (they watch the key store; at the latest within signing.reloadInterval, ${interval} s)`
        : `within signing.reloadInterval (${interval} s)`;
      out(options.json === true ? JSON.stringify(key, null, 2) : `new signing key ${key.kid} is current; running servers sign with it ${when}`);
    },
  });
}
