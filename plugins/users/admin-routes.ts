/** The admin API for users (`/admin/users…`), a thin HTTP layer over the shared operations. */
import { adminActor, readJson, sendPage, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { Transition, UserOperations } from './operations.js';

export function registerUserRoutes(api: RegisterApi, operations: UserOperations): void {
  const id = (ctx: Context) => ctx.params.id as string;

  api.route('admin', 'POST', '/admin/users', async (ctx) => {
    const user = await operations.create(readJson(ctx), adminActor(ctx));
    ctx.status = 201;
    ctx.set('Location', `/admin/users/${user.id}`);
    ctx.body = user;
  });

  api.route('admin', 'GET', '/admin/users', async (ctx) => {
    sendPage(ctx, 'users', await operations.list(ctx.query));
  });

  api.route('admin', 'GET', '/admin/users/:id', async (ctx) => {
    ctx.body = await operations.get(id(ctx));
  });

  api.route('admin', 'PATCH', '/admin/users/:id', async (ctx) => {
    ctx.body = await operations.update(id(ctx), readJson(ctx), adminActor(ctx));
  });

  api.route('admin', 'DELETE', '/admin/users/:id', async (ctx) => {
    await operations.delete(id(ctx), adminActor(ctx));
    ctx.status = 204;
  });

  api.route('admin', 'GET', '/admin/users/:id/identities', async (ctx) => {
    sendPage(ctx, 'identities', await operations.identities(id(ctx), ctx.query));
  });

  api.route('admin', 'POST', '/admin/users/:id/identities', async (ctx) => {
    ctx.status = 201;
    ctx.body = await operations.link(id(ctx), readJson(ctx), adminActor(ctx));
  });

  api.route('admin', 'DELETE', '/admin/users/:id/identities/:provider/:subject', async (ctx) => {
    await operations.unlink(id(ctx), { provider: ctx.params.provider, subject: ctx.params.subject }, adminActor(ctx));
    ctx.status = 204;
  });

  for (const transition of ['disable', 'enable'] as const satisfies readonly Transition[]) {
    api.route('admin', 'POST', `/admin/users/:id/${transition}`, async (ctx) => {
      ctx.body = await operations.transition(id(ctx), transition, adminActor(ctx));
    });
  }
}
