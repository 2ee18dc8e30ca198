/**
 * storage-sqlite: the default storage driver, SQLite through better-sqlite3.
 * Registers: `storageDrivers` 'sqlite'. Reads `storage.sqlite.path`.
 * WAL lets readers proceed during a write; one connection, because SQLite serializes writers anyway and a single
 * connection avoids SQLITE_BUSY between our own pool members. Prepared statements are reused (statement-cache.ts).
 * A second, read-only connection serves the kernel's synchronous point reads (reader.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { definePlugin, type KernelConfig } from 'authplane';
import { openReader } from './reader.js';
import { cachePreparedStatements } from './statement-cache.js';

const databaseFile = (config: Readonly<KernelConfig>) =>
  config.storage.sqlite.path === ':memory:' ? ':memory:' : resolve(config.storage.sqlite.path);

export const storageSqlite = definePlugin({
  name: 'storage-sqlite',
  register(api) {
    api.registries.storageDrivers.register('sqlite', {
      dialect: 'sqlite',
      knexConfig(config) {
        const filename = databaseFile(config);
        if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
        return {
          client: 'better-sqlite3',
          connection: { filename },
          useNullAsDefault: true,
          pool: {
            min: 1,
            max: 1,
            afterCreate(conn: { pragma(sql: string): unknown; prepare(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
              try {
                cachePreparedStatements(conn);
                conn.pragma('journal_mode = WAL');
                conn.pragma('synchronous = NORMAL');
                conn.pragma('foreign_keys = ON');
                conn.pragma('busy_timeout = 5000');
                done(null, conn);
              } catch (err) {
                done(err as Error, conn);
              }
            },
          },
        };
      },
      // An in-memory database exists only on its own connection: there is nothing a second one could read.
      reader: (config) => (databaseFile(config) === ':memory:' ? undefined : openReader(databaseFile(config))),
    });
  },
});
