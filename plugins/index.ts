/** Factories of the built-in plugins. No side effects: a bundler keeps only what a config imports. */
export { storageSqlite } from './storage-sqlite/index.js';
export { storagePostgres } from './storage-postgres/index.js';
export { keystoreKeyfile, createKeyfileStore } from './keystore-keyfile/index.js';
export { auditDb } from './audit-db/index.js';
export { tracingOtel } from './tracing-otel/index.js';
export { clients } from './clients/index.js';
export { resources } from './resources/index.js';
export { users } from './users/index.js';
export { oauth, type Interactions } from './oauth/index.js';
export { dpop } from './dpop/index.js';
export { clientCredentials } from './client-credentials/index.js';
export { introspection } from './introspection/index.js';
export { revocation } from './revocation/index.js';
export { issuances } from './issuances/index.js';
export { rateLimit } from './rate-limit/index.js';
export { dcr } from './dcr/index.js';
export { cimd } from './cimd/index.js';
