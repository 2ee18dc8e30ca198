/**
 * The plugins a server runs with when there is no config file (`authserver serve` in an empty directory).
 * Imported only by the CLI, so a config that lists its own plugins never pulls in the rest.
 */
import type { PluginInstance } from 'authplane';
import { auditDb, clients, keystoreKeyfile, resources, storagePostgres, storageSqlite, tracingOtel, users } from './index.js';
import { clientCredentials, introspection, issuances, rateLimit, revocation } from './index.js';
import { dpop } from './index.js';

export function defaultPlugins(): PluginInstance[] {
  return [storageSqlite(), storagePostgres(), keystoreKeyfile(), auditDb(), clients(), resources(), users(), tracingOtel(), clientCredentials(), introspection(), revocation(), issuances(), rateLimit(), dpop()];
}
