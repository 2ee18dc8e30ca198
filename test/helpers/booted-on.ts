import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { AuthPlane, type PluginInstance } from 'authplane';
import { ADMIN_KEY, basePlugins, tempDir } from './server.js';
import { freshPostgresDatabase } from './postgres.js';

/**
 * A server booted (database open and migrated, never listening) on SQLite in a temp dir or on a fresh PostgreSQL
 * database, with the base plugins and `plugins`: for tests that read the schema or the planner, not HTTP.
 */
export async function bootedOn(t: TestContext, storage: 'sqlite' | 'postgres', plugins: PluginInstance[]): Promise<AuthPlane> {
  const dir = tempDir(t);
  const env: NodeJS.ProcessEnv = { AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY };
  if (storage === 'postgres') {
    env.AUTHPLANE_STORAGE_DRIVER = 'postgres';
    env.AUTHPLANE_STORAGE_POSTGRES_DSN = await freshPostgresDatabase(t);
  }
  const server = new AuthPlane(
    {
      storage: { sqlite: { path: join(dir, 'authserver.db') } },
      signing: { keyPath: join(dir, 'keys') },
      log: { level: 'warn' },
      plugins: [...basePlugins(), ...plugins],
    },
    { env },
  );
  t.after(() => server.stop());
  await server.boot();
  return server;
}
