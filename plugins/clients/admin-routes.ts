/** The admin API for clients (`/admin/clients…`), a thin HTTP layer over the shared operations. */
import { adminActor, readJson, sendPage, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { ClientOperations, Transition } from './operations.js';

/** Responses carrying a secret must not be stored by any cache on the way. */
function noStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
}

export function registerClientRoutes(api: RegisterApi, operations: ClientOperations): void {
  const id = (ctx: Context) => ctx.params.id as string;

  api.route('admin', 'POST', '/admin/clients', async (ctx) => {
    const client = await operations.create(readJson(ctx), adminActor(ctx));
    noStore(ctx);
    ctx.status = 201;
    ctx.set('Location', `/admin/clients/${encodeURIComponent(client.client_id)}`);
    ctx.body = client;
  });

  api.route('admin', 'GET', '/admin/clients', async (ctx) => {
    sendPage(ctx, 'clients', await operations.list(ctx.query));
  });

  api.route('admin', 'GET', '/admin/clients/:id', async (ctx) => {
    ctx.body = await operations.get(id(ctx));
  });

  api.route('admin', 'PATCH', '/admin/clients/:id', async (ctx) => {
    const client = await operations.update(id(ctx), readJson(ctx), adminActor(ctx));
    if (client.client_secret) noStore(ctx);
    ctx.body = client;
  });

  api.route('admin', 'DELETE', '/admin/clients/:id', async (ctx) => {
    await operations.delete(id(ctx), adminActor(ctx));
    ctx.status = 204;
  });

  api.route('admin', 'POST', '/admin/clients/:id/rotate-secret', async (ctx) => {
    const client = await operations.rotateSecret(id(ctx), adminActor(ctx));
    noStore(ctx);
    ctx.body = client;
  });

  for (const transition of ['suspend', 'revoke', 'reactivate'] as const satisfies readonly Transition[]) {
    api.route('admin', 'POST', `/admin/clients/:id/${transition}`, async (ctx) => {
      ctx.body = await operations.transition(id(ctx), transition, adminActor(ctx));
    });
  }
}
