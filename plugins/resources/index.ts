/**
 * resources: the protected resources (MCP servers) tokens are minted for — RFC 8707 resource indicators and
 * RFC 9728 Protected Resource Metadata.
 * - Table `resources` (migrations/resources); URIs also stored as a normalized key (uri.ts) so spellings meet.
 * - Provides service `resources` (ResourceRegistry: resolve by URI or slug, get, list, allScopes) over an in-memory
 *   copy of the table (catalog.ts), refreshed incrementally on change, on a short interval and on a miss (bounded:
 *   a negative cache, one shared refresh at a time); other plugins whose
 *   records refer to resources register them (`registerDependents`, dependents.ts), and a delete is refused while
 *   any exist unless it cascades. A resource that is not `mint` is accepted only when a plugin serves its backend
 *   (`registerBackend`, backends.ts: the broker serves `broker`), which checks it on every write.
 * - Taps `discoveryMetadata`: `scopes_supported` = every resource's scopes + `offline_access` while they are at most
 *   option `discoveryScopeLimit`, only `offline_access` beyond (discovery-scopes.ts).
 * - Routes: `GET /.well-known/oauth-protected-resource[/<path or slug>]` (metadata.ts); admin API
 *   `/admin/resources…` and CLI `authserver admin resource …`, one operations module behind both.
 * - Seeds from option `seed` and from `AUTHPLANE_RESOURCE_URI` + `AUTHPLANE_RESOURCE_SCOPES` (seed.ts).
 * - Audit: resource_created, resource_updated, resource_deleted.
 * - Admin console page `resources` (`adminPages`, admin-ui/ap-resources-page.ts).
 */
import { definePlugin } from 'authplane';
import { registerResourceRoutes } from './admin-routes.js';
import { RESOURCES_TOPIC, ResourceCatalog } from './catalog.js';
import { BackendsRegistry } from './backends.js';
import { discoveryScopes } from './discovery-scopes.js';
import { DependentsRegistry } from './dependents.js';
import { registerResourceCommands } from './cli.js';
import { protectedResourceMetadata, PRM_PATH } from './metadata.js';
import { resourceMigrations } from './migrations.js';
import { ResourceOperations } from './operations.js';
import { optionsSchema, type ResourceSeed, type ResourcesOptions } from './schema.js';
import { resourceErrors } from './errors.js';
import { applySeeds, RESOURCE_SCOPES_ENV, RESOURCE_URI_ENV, resourceFromEnv } from './seed.js';
import { ResourceStore } from './store.js';

export type { ResourceFields, ResourceSeed, ResourcesOptions } from './schema.js';

export const resources = definePlugin({
  name: 'resources',
  schema: optionsSchema,
  errors: resourceErrors,
  env: [RESOURCE_URI_ENV, RESOURCE_SCOPES_ENV],
  register(api, options) {
    api.migrations(resourceMigrations);
    const runtime = api.runtime;
    const store = new ResourceStore(runtime);
    const dependents = new DependentsRegistry();
    const backends = new BackendsRegistry();
    const catalog = new ResourceCatalog(store, runtime, dependents, backends);
    const operations = new ResourceOperations(store, catalog, runtime, dependents, backends);

    api.provide('resources', catalog);
    // The waterfall is synchronous: it reads the scope union the catalog keeps in memory.
    api.hooks.discoveryMetadata.tap(api.name, (doc) => ({
      ...doc,
      scopes_supported: discoveryScopes(catalog.scopeUnion(), options.discoveryScopeLimit),
    }));
    const metadata = protectedResourceMetadata(catalog, () => api.config.server.issuer);
    api.route('public', 'GET', PRM_PATH, metadata);
    api.route('public', 'GET', `${PRM_PATH}/*path`, metadata);
    registerResourceRoutes(api, operations, catalog);
    api.registries.adminPages.register('resources', {
      path: 'resources',
      title: 'Resources',
      icon: 'list',
      module: new URL('./admin-ui/ap-resources-page.ts', import.meta.url).href,
      element: 'ap-resources-page',
      permission: 'admin',
      section: 'Manage',
      order: 20,
    });
    registerResourceCommands(api, operations);

    let refresh: NodeJS.Timeout | undefined;
    let unsubscribe: (() => void) | undefined;
    return {
      async init(rt) {
        dependents.close();
        backends.close();
        const seeds: { fields: ResourceSeed; source: string }[] = options.seed.map((fields, i) => ({
          fields,
          source: `resources.seed[${i}]`,
        }));
        const fromEnv = resourceFromEnv(api.env, rt.log);
        if (fromEnv) seeds.push({ fields: fromEnv, source: RESOURCE_URI_ENV });
        // A seeded broker resource names a provider its backend seeds in its own, later, init: that goes first.
        await backends.prepareSeeds(seeds.map((s) => s.fields.backend_kind ?? 'mint'));
        await applySeeds(seeds, store, operations, rt.log);
        await catalog.reload();
      },
      async start(rt) {
        const refreshNow = () => {
          catalog.refresh().catch((err: unknown) => rt.log.warn({ err }, 'resources refresh failed'));
        };
        // Another replica's change (or a reconnect, after which one may have been missed): the changed rows, soon.
        unsubscribe = rt.replicas.subscribe(RESOURCES_TOPIC, refreshNow);
        // Keeps discovery's scopes_supported and edits current with changes other replicas make, without a lookup.
        refresh = setInterval(refreshNow, options.refreshInterval * 1000);
        refresh.unref();
      },
      async stop() {
        clearInterval(refresh);
        unsubscribe?.();
        await catalog.settled();
      },
    };
  },
});
