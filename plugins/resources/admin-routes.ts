/** The admin API for resources (`/admin/resources…`), a thin HTTP layer over the shared operations. */
import { adminActor, queryFlag, readJson, sendPage, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { ResourceOperations } from './operations.js';

export function registerResourceRoutes(api: RegisterApi, operations: ResourceOperations): void {
  // `:id` takes the id or the slug: operators script against slugs, which they chose.
  const id = (ctx: Context) => ctx.params.id as string;

  api.route('admin', 'POST', '/admin/resources', async (ctx) => {
    const resource = await operations.create(readJson(ctx), adminActor(ctx));
    ctx.status = 201;
    ctx.set('Location', `/admin/resources/${resource.id}`);
    ctx.body = resource;
  });

  api.route('admin', 'GET', '/admin/resources', async (ctx) => {
    sendPage(ctx, 'resources', await operations.list(ctx.query));
  });

  api.route('admin', 'GET', '/admin/resources/:id', async (ctx) => {
    ctx.body = await operations.get(id(ctx));
  });

  api.route('admin', 'PATCH', '/admin/resources/:id', async (ctx) => {
    ctx.body = await operations.update(id(ctx), readJson(ctx), adminActor(ctx));
  });

  api.route('admin', 'DELETE', '/admin/resources/:id', async (ctx) => {
    await operations.delete(id(ctx), adminActor(ctx), { cascade: queryFlag(ctx, 'cascade') });
    ctx.status = 204;
  });
}
