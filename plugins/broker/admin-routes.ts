/** The admin API for broker providers (`/admin/broker-providers…`), a thin HTTP layer over the shared operations. */
import { badRequest, readJson, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { Actor, ProviderOperations } from './operations.js';

function actorOf(ctx: Context): Actor {
  return { actor_id: 'admin-api', ip: ctx.state.clientIp as string, request_id: ctx.state.requestId as string };
}

/** `?cascade=true|false`, as the resources plugin reads it. */
function flag(ctx: Context, name: string): boolean {
  const value = ctx.query[name];
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw badRequest(`query parameter '${name}' must be true or false`, { errors: [{ field: name, message: 'must be true or false' }] });
}

export function registerProviderRoutes(api: RegisterApi, operations: ProviderOperations): void {
  // `:id` takes the id or the slug: operators script against slugs, which they chose.
  const id = (ctx: Context) => ctx.params.id as string;

  api.route('admin', 'POST', '/admin/broker-providers', async (ctx) => {
    const provider = await operations.create(readJson(ctx), actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `/admin/broker-providers/${provider.id}`);
    ctx.body = provider;
  });

  api.route('admin', 'GET', '/admin/broker-providers', async (ctx) => {
    ctx.body = { providers: await operations.list() };
  });

  api.route('admin', 'GET', '/admin/broker-providers/:id', async (ctx) => {
    ctx.body = await operations.get(id(ctx));
  });

  api.route('admin', 'PATCH', '/admin/broker-providers/:id', async (ctx) => {
    ctx.body = await operations.update(id(ctx), readJson(ctx), actorOf(ctx));
  });

  api.route('admin', 'DELETE', '/admin/broker-providers/:id', async (ctx) => {
    await operations.delete(id(ctx), actorOf(ctx), { cascade: flag(ctx, 'cascade') });
    ctx.status = 204;
  });
}
