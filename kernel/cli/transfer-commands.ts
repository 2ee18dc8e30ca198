/** `authserver export` and `authserver import`: the whole database and the signing keys, between SQLite and PostgreSQL. */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { BootError } from '../errors.js';
import { exportDatabase, importDatabase, type TransferSummary } from '../storage/transfer.js';
import type { RegistryCatalog } from '../hooks.js';

/** A line writer that waits while the destination's buffer is full, so a large export never piles up in memory. */
function lineWriter(stream: Writable): (line: string) => Promise<void> {
  return async (line) => {
    if (!stream.write(`${line}\n`)) await once(stream, 'drain');
  };
}

function describe(summary: TransferSummary): string {
  const rows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  const tables = Object.entries(summary.rows).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`);
  return `${rows} row(s) in ${Object.keys(summary.rows).length} table(s)${tables.length ? ` (${tables.join(', ')})` : ''}, ${summary.keys} signing key(s)${
    summary.keysLeftInStore ? ` (${summary.keysLeftInStore} more held by the key store itself, e.g. Vault Transit: not exported; point the target at the same store)` : ''
  }`;
}

export function registerTransferCommands(commands: RegistryCatalog['cliCommands']): void {
  commands.register(
    'export',
    {
      description:
        'Write every table of the database and every signing key as NDJSON (to --out, or stdout), for `authserver import` on SQLite or PostgreSQL',
      options: {
        out: { type: 'string', description: 'File to create (mode 0600; refused if it exists). Default: stdout' },
      },
      async run({ server, options, out }) {
        let file: WriteStream | undefined;
        try {
          await server.openDatabase();
          const store = await server.openKeyStore();
          if (typeof options.out === 'string') {
            // 'wx': an export holds private keys and secret digests; it never overwrites, and only its owner reads it.
            file = createWriteStream(options.out, { flags: 'wx', mode: 0o600 });
            await once(file, 'open').catch((cause: NodeJS.ErrnoException) => {
              throw new BootError('AP_ERR_CLI_USAGE', `cannot create ${options.out}: ${cause.code === 'EEXIST' ? 'it exists' : cause.message}`);
            });
          }
          const summary = await exportDatabase(server.db, server.dialect, store, lineWriter(file ?? process.stdout));
          if (file) {
            file.end();
            await once(file, 'finish');
            out(`exported ${describe(summary)} to ${options.out}`);
          } else {
            // stdout carries the export itself: the summary goes to stderr.
            process.stderr.write(`exported ${describe(summary)}\n`);
          }
        } finally {
          file?.destroy();
          await server.stop();
        }
      },
    },
    'kernel',
  );

  commands.register(
    'import',
    {
      description:
        'Load an `authserver export` file into this database (migrated first) in one transaction, and its signing keys into the key store; refuses a non-empty target unless --force',
      usage: '<file | ->',
      options: {
        force: { type: 'boolean', description: 'Replace the rows of a non-empty target (in the same transaction) and add keys beside existing ones' },
      },
      async run({ server, args, options, out }) {
        const source = args[0];
        if (!source || args.length > 1) throw new BootError('AP_ERR_CLI_USAGE', 'import takes one file (or - for stdin)');
        try {
          await server.openDatabase();
          await server.migrate();
          const store = await server.openKeyStore();
          const input = source === '-' ? process.stdin : createReadStream(source);
          const opened = source === '-' ? Promise.resolve() : once(input, 'open');
          await opened.catch((cause: NodeJS.ErrnoException) => {
            throw new BootError('AP_ERR_CLI_USAGE', `cannot read ${source}: ${cause.code === 'ENOENT' ? 'no such file' : cause.message}`);
          });
          const lines = createInterface({ input, crlfDelay: Infinity });
          const summary = await importDatabase(server.db, server.dialect, store, lines, { force: options.force === true });
          lines.close();
          out(`imported ${describe(summary)}`);
        } finally {
          await server.stop();
        }
      },
    },
    'kernel',
  );
}
