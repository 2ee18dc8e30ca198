import knexModule, { type Knex } from 'knex';
import type { Logger } from 'pino';
import type { KernelConfig } from '../config/types.js';
import { BootError } from '../errors.js';
import type { RegistryCatalog } from '../hooks.js';
import type { ReplicaChannel, SyncReader } from '../contracts.js';
import { createDialect, type Dialect } from './dialect.js';
import type { WorkerDatabase } from './off-loop-reads.js';

// knex is CommonJS; under ESM its factory can arrive as the default export's default.
const knexFactory = ((knexModule as unknown as { default?: unknown }).default ?? knexModule) as typeof knexModule;

/** The driver's synchronous reader, if it has one, opened at the first `get`. */
export interface ReaderSlot {
  get(): SyncReader | undefined;
  close(): void;
}

export interface OpenDatabase {
  db: Knex;
  dialect: Dialect;
  reader: ReaderSlot;
  /** The driver's one-line explanation of an error reaching the database, if it has one. */
  explain(error: unknown): string | undefined;
  /** The driver's channel between servers on this database, if it has one (not connected yet). */
  replicaChannel: ReplicaChannel | undefined;
  /** What a worker opens for long reads, if the driver's queries are synchronous (SQLite). */
  offLoopDatabase: WorkerDatabase | undefined;
}

/**
 * knex prints its warnings with their stacks on the console (`Acquire connection error: …` on every failed connect,
 * `Can't take lock to run migrations`), before the error we report says the same in one line naming the setting.
 * They go to the log at debug level instead.
 */
function knexLog(log: Logger): Knex.Config['log'] {
  const debug = (message: unknown) => log.debug({ knex: String(message) }, 'knex');
  return { warn: debug, error: debug, deprecate: debug, debug };
}

export async function openDatabase(config: KernelConfig, drivers: RegistryCatalog['storageDrivers'], log: Logger): Promise<OpenDatabase> {
  const driver = drivers.get(config.storage.driver);
  if (!driver) {
    const known = drivers.names();
    throw new BootError(
      'AP_ERR_STORAGE_DRIVER',
      `storage driver '${config.storage.driver}' is not registered` +
        (known.length ? ` (registered: ${known.join(', ')})` : ' (enable storageSqlite() or storagePostgres())'),
    );
  }
  const db = knexFactory({ log: knexLog(log), ...(await driver.knexConfig(config)) });
  // Opened on first use: by then the database file exists and migrations have run. A fast path: none without them.
  let reader: SyncReader | undefined | null = null;
  const fastPaths = config.server.fastPaths;
  return {
    db,
    dialect: createDialect(driver.dialect, { fastPaths }),
    reader: {
      get: () => (reader === null ? (reader = fastPaths ? driver.reader?.(config) : undefined) : reader),
      close: () => reader?.close(),
    },
    explain: (error) => driver.explainError?.(error, config),
    replicaChannel: driver.replicaChannel?.(config, db, log),
    offLoopDatabase: driver.offLoopDatabase?.(config),
  };
}
