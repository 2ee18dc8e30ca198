/**
 * storage-postgres: PostgreSQL through pg, for production and several stateless replicas on one database.
 * Registers: `storageDrivers` 'postgres'. Reads `storage.postgres.dsn` (AUTHPLANE_STORAGE_POSTGRES_DSN) and `poolMax`.
 * A DSN that does not parse or does not connect is one line naming the setting, without the DSN (errors.ts).
 * Offers the kernel's replica channel: LISTEN/NOTIFY on channel `authplane` (notifications.ts), so caches of
 * replicas on one database hear each other's changes within a second.
 */
import { definePlugin } from 'authplane';
import { DSN_SETTING, explainPostgresError, parseDsn, postgresErrors } from './errors.js';
import { postgresReplicaChannel } from './notifications.js';

/** PostgreSQL's `int8` type oid (pg_type.oid). */
const INT8_OID = 20;

/**
 * Timestamps are integer milliseconds in bigint columns, and pg hands int8 back as a string by default, while SQLite
 * hands back a number. Parsing int8 to a number where it is exact keeps row values (and counts) the same type on
 * both databases, so plugins never write `Number(row.expires_at)`. Per connection, not pg's global parser table.
 */
async function typeParsers() {
  // Loaded only when PostgreSQL is the configured driver, so a SQLite server never pays for importing pg.
  const { default: pg } = await import('pg');
  return {
    getTypeParser(oid: number, format?: string) {
      if (oid === INT8_OID && format !== 'binary') {
        return (value: string) => {
          const n = Number(value);
          return Number.isSafeInteger(n) ? n : value;
        };
      }
      return pg.types.getTypeParser(oid, format as 'text');
    },
  };
}

export const storagePostgres = definePlugin({
  name: 'storage-postgres',
  errors: postgresErrors,
  register(api) {
    api.registries.storageDrivers.register('postgres', {
      dialect: 'postgres',
      async knexConfig(config) {
        const dsn = config.storage.postgres.dsn;
        if (!dsn) {
          throw postgresErrors.DSN_MISSING(`storage.driver is postgres but ${DSN_SETTING} is not set`);
        }
        parseDsn(dsn);
        return {
          client: 'pg',
          connection: { connectionString: dsn, application_name: 'authplane', types: await typeParsers() },
          pool: { min: 0, max: config.storage.postgres.poolMax },
          acquireConnectionTimeout: 10_000,
        };
      },
      explainError: (err, config) => explainPostgresError(err, config.storage.postgres.dsn),
      // knexConfig already refused a missing DSN before the kernel asks for the channel.
      replicaChannel: (config, db, log) => postgresReplicaChannel(config.storage.postgres.dsn!, db, log),
    });
  },
});
