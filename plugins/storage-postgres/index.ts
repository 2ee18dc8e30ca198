/**
 * storage-postgres: PostgreSQL through pg, for production and several stateless replicas on one database.
 * Registers: `storageDrivers` 'postgres'. Reads `storage.postgres.dsn` (AUTHPLANE_STORAGE_POSTGRES_DSN) and `poolMax`.
 */
import { BootError, definePlugin } from 'authplane';

export const storagePostgres = definePlugin({
  name: 'storage-postgres',
  register(api) {
    api.registries.storageDrivers.register('postgres', {
      dialect: 'postgres',
      knexConfig(config) {
        const dsn = config.storage.postgres.dsn;
        if (!dsn) {
          throw new BootError('AP_ERR_STORAGE_UNAVAILABLE', 'storage.driver is postgres but AUTHPLANE_STORAGE_POSTGRES_DSN is not set');
        }
        return {
          client: 'pg',
          connection: { connectionString: dsn, application_name: 'authplane' },
          pool: { min: 0, max: config.storage.postgres.poolMax },
          acquireConnectionTimeout: 10_000,
        };
      },
    });
  },
});
