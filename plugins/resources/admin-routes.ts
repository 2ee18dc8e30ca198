/** The admin API for resources (`/admin/resources…`), a thin HTTP layer over the shared operations. */
import { adminActor, queryFlag, readJson, sendPage, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { ResourceCatalog } from './catalog.js';
import { metadataUrl } from './metadata.js';
import type { ResourceOperations } from './operations.js';
import type { Resource } from './types.js';

export function registerResourceRoutes(api: RegisterApi, operations: ResourceOperations, catalog: ResourceCatalog): void {
  // `:id` takes the id or the slug: operators script against slugs, which they chose.
  const id = (ctx: Context) => ctx.params.id as string;
  // The admin view adds where the resource's metadata is served (the console's "PRM URL" with a copy button).
  const view = async (resource: Resource) => ({ ...resource, metadata_url: await metadataUrl(catalog, api.config.server.issuer, resource) });

  api.route('admin', 'POST', '/admin/resources', async (ctx) => {
    const resource = await operations.create(readJson(ctx), adminActor(ctx));
    ctx.status = 201;
    ctx.set('Location', `/admin/resources/${resource.id}`);
    ctx.body = await view(resource);
  });

  api.route('admin', 'GET', '/admin/resources', async (ctx) => {
    const page = await operations.list(ctx.query);
    sendPage(ctx, 'resources', { rows: await Promise.all(page.rows.map(view)), next: page.next });
  });

  api.route('admin', 'GET', '/admin/resources/:id', async (ctx) => {
    ctx.body = await view(await operations.get(id(ctx)));
  });

  api.route('admin', 'PATCH', '/admin/resources/:id', async (ctx) => {
    ctx.body = await view(await operations.update(id(ctx), readJson(ctx), adminActor(ctx)));
  });

  api.route('admin', 'DELETE', '/admin/resources/:id', async (ctx) => {
    await operations.delete(id(ctx), adminActor(ctx), { cascade: queryFlag(ctx, 'cascade') });
    ctx.status = 204;
  });
}
