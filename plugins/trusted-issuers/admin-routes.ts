/** The admin API for trusted issuers (`/admin/idps…`), a thin HTTP layer over the shared operations. */
import { adminActor, readJson, sendPage, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { IssuerOperations } from './operations.js';

export function registerIssuerRoutes(api: RegisterApi, operations: IssuerOperations): void {
  const id = (ctx: Context) => ctx.params.id as string;

  api.route('admin', 'POST', '/admin/idps', async (ctx) => {
    const issuer = await operations.create(readJson(ctx), adminActor(ctx));
    ctx.status = 201;
    ctx.set('Location', `/admin/idps/${issuer.id}`);
    ctx.body = issuer;
  });
  api.route('admin', 'GET', '/admin/idps', async (ctx) => {
    sendPage(ctx, 'idps', await operations.list(ctx.query));
  });
  api.route('admin', 'GET', '/admin/idps/:id', async (ctx) => {
    ctx.body = await operations.get(id(ctx));
  });
  api.route('admin', 'PATCH', '/admin/idps/:id', async (ctx) => {
    ctx.body = await operations.update(id(ctx), readJson(ctx), adminActor(ctx));
  });
  api.route('admin', 'DELETE', '/admin/idps/:id', async (ctx) => {
    await operations.delete(id(ctx), adminActor(ctx));
    ctx.status = 204;
  });
  api.route('admin', 'POST', '/admin/idps/:id/refresh', async (ctx) => {
    ctx.body = await operations.refresh(id(ctx), adminActor(ctx));
  });
  api.route('admin', 'GET', '/admin/idps/:id/workload-rules', async (ctx) => {
    ctx.body = { rules: await operations.rules(id(ctx)) };
  });
  api.route('admin', 'POST', '/admin/idps/:id/workload-rules', async (ctx) => {
    ctx.status = 201;
    ctx.body = await operations.addRule(id(ctx), readJson(ctx), adminActor(ctx));
  });
  api.route('admin', 'DELETE', '/admin/idps/:id/workload-rules/:rule', async (ctx) => {
    await operations.deleteRule(id(ctx), ctx.params.rule as string, adminActor(ctx));
    ctx.status = 204;
  });
}
