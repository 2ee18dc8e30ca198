import type { Knex } from 'knex';

/**
 * A forward-only migration. `name` is `<owner>/<NNNN_what>` and is what the `knex_migrations` table records, so
 * names never change once released. Migrations are imported statically (no directory scan), which keeps bundled
 * builds working.
 */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
}

export function migrationSource(list: readonly Migration[]): Knex.MigrationSource<Migration> {
  return {
    getMigrations: async () => [...list],
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => ({
      up: migration.up,
      down: async () => {
        throw new Error(`migration ${migration.name} is forward-only`);
      },
    }),
  };
}

/** Applies what is pending; returns the names applied (empty on a second run). */
export async function migrateLatest(db: Knex, list: readonly Migration[]): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({
    migrationSource: migrationSource(list),
    // A plugin disabled after its migrations ran leaves their names recorded; that is not corruption.
    disableMigrationsListValidation: true,
  })) as [number, string[]];
  return applied;
}
