/**
 * storage-sqlite: the default storage driver, SQLite through better-sqlite3.
 * Registers: `storageDrivers` 'sqlite'. Reads `storage.sqlite.path`.
 * WAL lets readers proceed during a write; one connection, because SQLite serializes writers anyway and a single
 * connection avoids SQLITE_BUSY between our own pool members. With `server.fastPaths` (the kernel's switch for its
 * measured shortcuts, kernel/fast-path/) prepared statements are reused (statement-cache.ts) and a second,
 * read-only connection serves the kernel's synchronous point reads (reader.ts; the kernel asks for it only then). While the server writes
 * steadily, WAL checkpoints run on a worker thread instead of the writer (checkpointer.ts). The database, `-wal` and
 * `-shm` are created 0600 in a 0700 directory (files.ts); path and permission errors name the setting (errors.ts).
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { definePlugin, type KernelConfig, type RegisterApi } from 'authplane';
import { WalCheckpointer } from './checkpointer.js';
import { explainSqliteError, sqliteErrors } from './errors.js';
import { prepareDatabaseFile } from './files.js';
import { openReader } from './reader.js';
import { cachePreparedStatements } from './statement-cache.js';

const databaseFile = (config: Readonly<KernelConfig>) =>
  config.storage.sqlite.path === ':memory:' ? ':memory:' : resolve(config.storage.sqlite.path);

interface WriterConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): unknown;
  close(): unknown;
}

/** The checkpointer lives as long as the writer connection: knex closing the connection stops it first. */
function checkpointOffTheWriter(conn: WriterConnection, filename: string, log: RegisterApi['log']): void {
  const checkpointer = new WalCheckpointer(conn, filename, { warn: (message, detail) => log.warn(detail ?? {}, message) });
  const close = conn.close.bind(conn);
  conn.close = () => {
    void checkpointer.close();
    return close();
  };
}

export const storageSqlite = definePlugin({
  name: 'storage-sqlite',
  errors: sqliteErrors,
  register(api) {
    api.registries.storageDrivers.register('sqlite', {
      dialect: 'sqlite',
      knexConfig(config) {
        const filename = databaseFile(config);
        if (filename !== ':memory:') prepareDatabaseFile(filename, (detail, message) => api.log.warn(detail, message));
        return {
          client: 'better-sqlite3',
          connection: { filename },
          useNullAsDefault: true,
          pool: {
            min: 1,
            max: 1,
            afterCreate(conn: WriterConnection, done: (err: Error | null, conn: unknown) => void) {
              try {
                if (config.server.fastPaths) cachePreparedStatements(conn);
                conn.pragma('journal_mode = WAL');
                conn.pragma('synchronous = NORMAL');
                conn.pragma('foreign_keys = ON');
                conn.pragma('busy_timeout = 5000');
                if (filename !== ':memory:') checkpointOffTheWriter(conn, filename, api.log);
                done(null, conn);
              } catch (err) {
                done(err as Error, conn);
              }
            },
          },
        };
      },
      explainError: (err, config) => explainSqliteError(err, databaseFile(config)),
      // An in-memory database exists only on its own connection: there is nothing a second one could read.
      reader: (config) => (databaseFile(config) === ':memory:' ? undefined : openReader(databaseFile(config))),
      offLoopDatabase: (config) =>
        databaseFile(config) === ':memory:' ? undefined : { driver: createRequire(import.meta.url).resolve('better-sqlite3'), filename: databaseFile(config) },
    });
  },
});
