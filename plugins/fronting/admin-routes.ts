/** The admin API for fronting links (`/admin/fronting…`), a thin HTTP layer over the shared operations. */
import { adminActor, badRequest, readJson, sendPage, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { FrontingOperations } from './operations.js';

/** A query parameter given at most once, or undefined. */
function queryParam(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw badRequest(`query parameter '${name}' is given more than once`, { errors: [{ field: name, message: 'is given more than once' }] });
  return value || undefined;
}

export function registerFrontingRoutes(api: RegisterApi, operations: FrontingOperations): void {
  api.route('admin', 'POST', '/admin/fronting', async (ctx) => {
    const dryRun = queryParam(ctx, 'dry_run');
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') {
      throw badRequest("query parameter 'dry_run' must be true or false", { errors: [{ field: 'dry_run', message: 'must be true or false' }] });
    }
    if (dryRun === 'true') {
      ctx.body = await operations.dryRun(readJson(ctx));
      return;
    }
    const link = await operations.create(readJson(ctx), adminActor(ctx));
    ctx.status = 201;
    ctx.set('Location', `/admin/fronting/${link.id}`);
    ctx.body = link;
  });

  api.route('admin', 'GET', '/admin/fronting', async (ctx) => {
    sendPage(ctx, 'links', await operations.list(ctx.query));
  });

  api.route('admin', 'GET', '/admin/fronting/:id', async (ctx) => {
    ctx.body = await operations.get(ctx.params.id as string);
  });

  api.route('admin', 'DELETE', '/admin/fronting/:id', async (ctx) => {
    await operations.delete(ctx.params.id as string, adminActor(ctx));
    ctx.status = 204;
  });
}
