/** The admin API for broker providers (`/admin/broker-providers…`), a thin HTTP layer over the shared operations. */
import { adminActor, queryFlag, readJson, sendPage, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { ProviderOperations } from './operations.js';

export function registerProviderRoutes(api: RegisterApi, operations: ProviderOperations): void {
  // `:id` takes the id or the slug: operators script against slugs, which they chose.
  const id = (ctx: Context) => ctx.params.id as string;

  api.route('admin', 'POST', '/admin/broker-providers', async (ctx) => {
    const provider = await operations.create(readJson(ctx), adminActor(ctx));
    ctx.status = 201;
    ctx.set('Location', `/admin/broker-providers/${provider.id}`);
    ctx.body = provider;
  });

  api.route('admin', 'GET', '/admin/broker-providers', async (ctx) => {
    sendPage(ctx, 'providers', await operations.page(ctx.query));
  });

  api.route('admin', 'GET', '/admin/broker-providers/:id', async (ctx) => {
    ctx.body = await operations.get(id(ctx));
  });

  api.route('admin', 'PATCH', '/admin/broker-providers/:id', async (ctx) => {
    ctx.body = await operations.update(id(ctx), readJson(ctx), adminActor(ctx));
  });

  api.route('admin', 'DELETE', '/admin/broker-providers/:id', async (ctx) => {
    await operations.delete(id(ctx), adminActor(ctx), { cascade: queryFlag(ctx, 'cascade') });
    ctx.status = 204;
  });
}
