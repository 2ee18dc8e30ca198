import knexModule, { type Knex } from 'knex';
import type { KernelConfig } from '../config/types.js';
import { BootError } from '../errors.js';
import type { RegistryCatalog } from '../hooks.js';
import type { SyncReader } from '../contracts.js';
import { createDialect, type Dialect } from './dialect.js';

// knex is CommonJS; under ESM its factory can arrive as the default export's default.
const knexFactory = ((knexModule as unknown as { default?: unknown }).default ?? knexModule) as typeof knexModule;

/** The driver's synchronous reader, if it has one, opened at the first `get`. */
export interface ReaderSlot {
  get(): SyncReader | undefined;
  close(): void;
}

export async function openDatabase(
  config: KernelConfig,
  drivers: RegistryCatalog['storageDrivers'],
): Promise<{ db: Knex; dialect: Dialect; reader: ReaderSlot }> {
  const driver = drivers.get(config.storage.driver);
  if (!driver) {
    const known = drivers.names();
    throw new BootError(
      'AP_ERR_STORAGE_DRIVER',
      `storage driver '${config.storage.driver}' is not registered` +
        (known.length ? ` (registered: ${known.join(', ')})` : ' (enable storageSqlite() or storagePostgres())'),
    );
  }
  const db = knexFactory(await driver.knexConfig(config));
  // Opened on first use: by then the database file exists and migrations have run.
  let reader: SyncReader | undefined | null = null;
  return {
    db,
    dialect: createDialect(driver.dialect),
    reader: {
      get: () => (reader === null ? (reader = driver.reader?.(config)) : reader),
      close: () => reader?.close(),
    },
  };
}
