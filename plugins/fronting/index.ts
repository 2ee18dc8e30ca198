/**
 * fronting: links between protected resources. A link (source, target, scope_map) lets a gateway — a client in the
 * source's `policy.runtime.client_ids` — exchange a token for the source for one for the target without a second
 * consent; the token-exchange grant asks the `fronting` service. Admin only: no public route.
 * - Table `fronting_links` (migrations/fronting), one link per (source, target).
 * - Provides service `fronting` (find a link by source and target resource ids).
 * - Registers its links as dependents of resources (`resources.registerDependents`): a resource a link refers to
 *   is deleted only with cascade, which deletes the links first.
 * - Admin API `/admin/fronting…` (create refuses a link that closes a cycle; `?dry_run=true`) and CLI
 *   `authserver admin fronting …`, one operations module behind both.
 * - Audit: fronting_link_created, fronting_link_deleted.
 * - Admin console page `fronting` (`adminPages`, admin-ui/ap-fronting-page.ts).
 */
import { definePlugin } from 'authplane';
import { registerFrontingRoutes } from './admin-routes.js';
import { registerFrontingCommands } from './cli.js';
import { frontingErrors } from './errors.js';
import { frontingMigrations } from './migrations.js';
import { FrontingOperations } from './operations.js';
import { LinkStore } from './store.js';
import type { FrontingLinks } from './types.js';

export const fronting = definePlugin({
  name: 'fronting',
  dependsOn: ['resources'],
  errors: frontingErrors,
  register(api) {
    api.migrations(frontingMigrations);
    const store = new LinkStore(api.runtime);
    const resources = api.use('resources');
    const operations = new FrontingOperations(store, () => resources, api.runtime);

    const service: FrontingLinks = {
      async find(sourceResourceId, targetResourceId) {
        const link = await store.find(sourceResourceId, targetResourceId);
        return link && { id: link.id, scopeMap: link.scope_map };
      },
    };
    api.provide('fronting', service);
    resources.registerDependents(api.name, {
      list: (resourceId) => operations.dependentsOf(resourceId),
      remove: (resourceId, actor) => operations.removeDependents(resourceId, actor),
    });
    registerFrontingRoutes(api, operations);
    api.registries.adminPages.register('fronting', {
      path: 'fronting',
      title: 'Fronting links',
      icon: 'link',
      module: new URL('./admin-ui/ap-fronting-page.ts', import.meta.url).href,
      element: 'ap-fronting-page',
      permission: 'admin',
      section: 'Manage',
      order: 30,
    });
    registerFrontingCommands(api, operations);
  },
});
