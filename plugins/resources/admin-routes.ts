/** The admin API for resources (`/admin/resources…`), a thin HTTP layer over the shared operations. */
import { badRequest, readJson, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { Actor, ResourceOperations } from './operations.js';

function actorOf(ctx: Context): Actor {
  return { actor_id: 'admin-api', ip: ctx.state.clientIp as string, request_id: ctx.state.requestId as string };
}

/** `?name=true|false`; absent is false. */
function flag(ctx: Context, name: string): boolean {
  const value = ctx.query[name];
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw badRequest(`query parameter '${name}' must be true or false`, { errors: [{ field: name, message: 'must be true or false' }] });
}

export function registerResourceRoutes(api: RegisterApi, operations: ResourceOperations): void {
  // `:id` takes the id or the slug: operators script against slugs, which they chose.
  const id = (ctx: Context) => ctx.params.id as string;

  api.route('admin', 'POST', '/admin/resources', async (ctx) => {
    const resource = await operations.create(readJson(ctx), actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `/admin/resources/${resource.id}`);
    ctx.body = resource;
  });

  api.route('admin', 'GET', '/admin/resources', async (ctx) => {
    ctx.body = { resources: await operations.list() };
  });

  api.route('admin', 'GET', '/admin/resources/:id', async (ctx) => {
    ctx.body = await operations.get(id(ctx));
  });

  api.route('admin', 'PATCH', '/admin/resources/:id', async (ctx) => {
    ctx.body = await operations.update(id(ctx), readJson(ctx), actorOf(ctx));
  });

  api.route('admin', 'DELETE', '/admin/resources/:id', async (ctx) => {
    await operations.delete(id(ctx), actorOf(ctx), { cascade: flag(ctx, 'cascade') });
    ctx.status = 204;
  });
}
