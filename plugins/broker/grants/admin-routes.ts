/** The admin API for the users' broker grants (`/admin/broker-grants…`), a thin HTTP layer over GrantOperations. */
import { adminActor, readQuery, sendPage, type RegisterApi } from 'authplane';
import { parseListQuery, type GrantOperations } from './operations.js';

export function registerGrantAdminRoutes(api: RegisterApi, operations: GrantOperations): void {
  api.route('admin', 'GET', '/admin/broker-grants', async (ctx) => {
    sendPage(ctx, 'grants', await operations.list(parseListQuery(readQuery(ctx))));
  });

  api.route('admin', 'DELETE', '/admin/broker-grants/:user_id/:provider', async (ctx) => {
    await operations.revoke(ctx.params.user_id as string, ctx.params.provider as string, adminActor(ctx), 'admin');
    ctx.status = 204;
  });
}
