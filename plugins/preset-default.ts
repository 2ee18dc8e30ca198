/**
 * The plugins a server runs with when there is no config file (`authserver serve` in an empty directory).
 * Imported only by the CLI, so a config that lists its own plugins never pulls in the rest.
 */
import type { PluginInstance } from 'authplane';
import {
  adminUi,
  auditDb,
  cimd,
  clientCredentials,
  clients,
  dcr,
  dpop,
  fronting,
  introspection,
  issuances,
  keystoreKeyfile,
  oauth,
  rateLimit,
  resources,
  revocation,
  storagePostgres,
  storageSqlite,
  tokenExchange,
  tracingOtel,
  users,
} from './index.js';

export function defaultPlugins(): PluginInstance[] {
  return [
    storageSqlite(),
    storagePostgres(),
    keystoreKeyfile(),
    auditDb(),
    tracingOtel(),
    rateLimit(),
    clients(),
    resources(),
    fronting(),
    users(),
    oauth(),
    dcr(),
    cimd(),
    clientCredentials(),
    tokenExchange(),
    introspection(),
    revocation(),
    issuances(),
    dpop(),
    adminUi(),
  ];
}
