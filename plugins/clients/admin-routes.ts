/** The admin API for clients (`/admin/clients…`), a thin HTTP layer over the shared operations. */
import { adminActor, badRequest, readJson, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import type { ClientOperations, Transition } from './operations.js';

const LIST_FILTERS = ['status', 'source'] as const;

/** Query filters, each at most once; an unknown one is a 400 rather than silently ignored (a typo lists all). */
function listFilter(ctx: Context): { status?: string; source?: string } {
  const filter: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.query)) {
    if (!(LIST_FILTERS as readonly string[]).includes(name)) {
      throw badRequest(`${name}: is not a known filter (use ${LIST_FILTERS.join(', ')})`, {
        errors: [{ field: name, message: 'is not a known filter' }],
      });
    }
    if (typeof value !== 'string') {
      throw badRequest(`${name}: must be given once`, { errors: [{ field: name, message: 'must be given once' }] });
    }
    filter[name] = value;
  }
  return filter;
}

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
    ctx.body = { clients: await operations.list(listFilter(ctx)) };
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
