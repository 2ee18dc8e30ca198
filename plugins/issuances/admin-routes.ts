/** The admin API for issuances (`/admin/issuances…`), a thin HTTP layer over the shared operations. */
import { adminActor, sendPage, type RegisterApi } from 'authplane';
import type { IssuanceOperations } from './operations.js';

export function registerIssuanceRoutes(api: RegisterApi, operations: IssuanceOperations): void {
  api.route('admin', 'GET', '/admin/issuances', async (ctx) => {
    sendPage(ctx, 'issuances', await operations.list(ctx.query));
  });

  api.route('admin', 'GET', '/admin/issuances/:id', async (ctx) => {
    ctx.body = await operations.get(ctx.params.id as string);
  });

  // DELETE is idempotent (RFC 9110 §9.2.2): a second revocation of the same token is 204 again.
  api.route('admin', 'DELETE', '/admin/issuances/:id', async (ctx) => {
    await operations.revoke(ctx.params.id as string, adminActor(ctx));
    ctx.status = 204;
  });
}
