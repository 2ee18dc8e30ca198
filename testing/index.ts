/**
 * authplane/testing: what a plugin's tests need — a real server with the plugins under test (free ports, a temp
 * database), the admin API, and a browser that reads and posts the server's forms. It uses node builtins and
 * authplane only (and authplane's `pg` driver, loaded when PostgreSQL is asked for), so it works with any test
 * runner: pass node:test's `t` (anything with `after(fn)`) or call `stop()`.
 */
export { startServer, basePlugins, ADMIN_KEY, PHASE_TIMEOUT_MS, type StartOptions, type TestServer } from './server.js';
export {
  adminFetch,
  createClient,
  createResource,
  createUser,
  type AdminApi,
  type AdminFetch,
  type CreatedClient,
  type CreatedResource,
  type CreatedUser,
} from './admin.js';
export { ScriptedBrowser, parseForms, type Form, type Page } from './browser.js';
export { freshPostgresDatabase, postgresProblem, PG_ADMIN_DSN } from './postgres.js';
export { tempDir, freePort } from './files.js';
export type { Cleanup } from './cleanup.js';
