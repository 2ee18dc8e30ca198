/**
 * clients: the client registry (RFC 6749 §2, metadata from RFC 7591 §2).
 * - Table `clients` (migrations/clients); secrets are 256-bit random, stored as SHA-256 digests.
 * - Taps `resolveClient`: a primary-key lookup cached in memory for `cacheTtl` seconds (cache.ts); a change made
 *   through this server applies to the next request, one made on another replica as soon as its announcement
 *   arrives (runtime.replicas, PostgreSQL), one made by the CLI within `cacheTtl`.
 * - Registers `clientAuthMethods` none, client_secret_basic, client_secret_post.
 * - Provides service `clients` (ClientRegistry: get, touch with batched last_used_at writes; register, upsertWithId
 *   and purgeUnused for self-registration by the dcr and cimd plugins, registration.ts).
 * - Admin API `/admin/clients…` and CLI `authserver admin client …`, one operations module behind both.
 * - Audit: client_created, client_updated, client_deleted, client_secret_rotated, client_suspended,
 *   client_revoked, client_reactivated, client_registered (dcr, cimd). Metric: authserver_clients_registered_total{source}.
 * - Agent identity (agent-claims.ts, docs/agents.md): taps `tokenRequest` (which clients named by presented tokens
 *   are agents) and `accessTokenClaims` (`agent_id`, `agent_chain`). Metric: authplane_agent_tokens_issued_total{grant_type}.
 * - Admin console page `clients` (`adminPages`, admin-ui/ap-clients-page.ts).
 */
import { definePlugin } from 'authplane';
import type { ClientRegistry } from './types.js';
import { registerClientRoutes } from './admin-routes.js';
import { tapAgentClaims } from './agent-claims.js';
import { registerAuthMethods } from './auth-methods.js';
import { ClientCache } from './cache.js';
import { registerClientCommands } from './cli.js';
import { clientErrors } from './errors.js';
import { LastUsedRecorder } from './last-used.js';
import { clientMigrations } from './migrations.js';
import { ClientOperations } from './operations.js';
import { ClientRegistrations } from './registration.js';
import { clientsOptionsSchema, type ClientsOptions } from './schema.js';
import { ClientStore, toClientContract } from './store.js';

export type { ClientsOptions } from './schema.js';

/** The replica topic of a change to one client (the payload: its id) or to many (no payload). */
const CLIENTS_TOPIC = 'clients';

export const clients = definePlugin({
  name: 'clients',
  schema: clientsOptionsSchema,
  errors: clientErrors,
  register(api, options) {
    api.migrations(clientMigrations);
    api.registries.adminPages.register('clients', {
      path: 'clients',
      title: 'Clients',
      icon: 'apps',
      module: new URL('./admin-ui/ap-clients-page.ts', import.meta.url).href,
      element: 'ap-clients-page',
      permission: 'admin',
      section: 'Manage',
      order: 10,
    });
    const runtime = api.runtime;
    const cache = new ClientCache(options.cacheTtl * 1000, () => runtime().now());
    // A write here drops the entry here and, through runtime.replicas, on every other replica (topic `clients`).
    const store = new ClientStore(runtime, (clientId) => {
      cache.invalidate(clientId);
      runtime().replicas.notify(CLIENTS_TOPIC, clientId);
    });
    const lastUsed = new LastUsedRecorder((ids, at) => store.touch(ids, at), api.log);

    const registered = api.metrics.counter({
      name: 'authserver_clients_registered_total',
      help: 'Clients registered, by registration source (admin, dcr, cimd)',
      labelNames: ['source'] as const,
    });
    const registrations = new ClientRegistrations(store, runtime, registered, (grant) => api.registries.grantTypes.has(grant));
    const registry: ClientRegistry = {
      get: (clientId) =>
        cache.get(clientId, async (id) => {
          const client = await store.find(id);
          return client ? toClientContract(client) : undefined;
        }),
      touch: (clientId) => lastUsed.record(clientId),
      register: (input, context) => registrations.register(input, context),
      upsertWithId: (clientId, input, context) => registrations.upsertWithId(clientId, input, context),
      purgeUnused: (source, unusedSince) => registrations.purgeUnused(source, unusedSince),
    };
    api.provide('clients', registry);
    api.hooks.resolveClient.tapPromise(api.name, (clientId) => registry.get(clientId));
    registerAuthMethods(api, registry.touch);
    tapAgentClaims(api, registry);
    const operations = new ClientOperations(store, runtime, registered, (grant) => api.registries.grantTypes.has(grant));
    registerClientRoutes(api, operations);
    registerClientCommands(api, operations);
    let unsubscribe: (() => void) | undefined;
    return {
      // No payload: a bulk change, or a reconnect after which announcements may have been missed.
      start: async (rt) => {
        unsubscribe = rt.replicas.subscribe(CLIENTS_TOPIC, (clientId) => cache.invalidate(clientId));
      },
      // last_used_at writes are batched: the ones still pending go out before the database closes.
      stop: () => {
        unsubscribe?.();
        return lastUsed.flush();
      },
    };
  },
});
