/**
 * The example config `npm start` uses: SQLite under ./data, keys generated on first start, both listeners on
 * localhost. Every option and its AUTHPLANE_* variable is listed in docs/configuration.md.
 */
import { defineConfig } from 'authplane';
import {
  adminUi,
  auditDb,
  broker,
  cimd,
  clientCredentials,
  clients,
  dcr,
  dpop,
  fronting,
  introspection,
  issuances,
  jwtBearer,
  keystoreKeyfile,
  oauth,
  privateKeyJwt,
  rateLimit,
  resources,
  revocation,
  storagePostgres,
  storageSqlite,
  tokenExchange,
  tracingOtel,
  trustedIssuers,
  users,
} from 'authplane/plugins';

export default defineConfig({
  // No issuer here: it follows the address (http://localhost:<port>), so AUTHPLANE_SERVER_ADDRESS=:9100 advertises
  // port 9100. Set AUTHPLANE_SERVER_ISSUER to the public https URL in production.
  server: { address: ':9000' },
  admin: { address: '127.0.0.1:9001' },
  storage: { driver: 'sqlite', sqlite: { path: 'data/authserver.db' } },
  signing: { keyPath: 'data/keys' },
  log: { level: 'info' },
  plugins: [
    storageSqlite(),
    storagePostgres(),
    keystoreKeyfile(),
    auditDb(),
    tracingOtel(),
    rateLimit(),
    clients(),
    resources(),
    users(),
    oauth(),
    dcr(),
    cimd(),
    clientCredentials(),
    fronting(),
    tokenExchange(),
    // Upstream accounts (GitHub, Google…) for broker resources (docs/broker.md). With no AUTHPLANE_BROKER_MASTER_KEY
    // and this localhost issuer it keeps a development master key in data/broker/master.key; set the variable
    // in production, where boot refuses to run without it.
    broker(),
    // JWT assertions from outside (docs/jwt-assertions.md): clients authenticating with private_key_jwt, and the
    // RFC 7523 JWT bearer grant (ID-JAG / Cross-App Access, workload identity) from issuers an admin trusts.
    trustedIssuers(),
    privateKeyJwt(),
    jwtBearer(),
    introspection(),
    revocation(),
    issuances(),
    dpop(),
    // The admin console at http://127.0.0.1:9001/admin/ui/ (docs/admin-ui.md).
    adminUi(),
  ],
});
