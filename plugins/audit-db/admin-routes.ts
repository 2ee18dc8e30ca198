/** `GET /admin/audit`: the audit trail, filtered and paged, newest first. */
import { sendPage, type RegisterApi } from 'authplane';
import { parseAuditQuery, queryAuditEvents } from './query.js';

export function registerAuditRoutes(api: RegisterApi): void {
  api.route('admin', 'GET', '/admin/audit', async (ctx) => {
    const query = parseAuditQuery(ctx.query);
    // Events this server emitted a moment ago may still wait for their batch: the trail includes them.
    await api.runtime().audit.flush();
    sendPage(ctx, 'events', await queryAuditEvents(api.runtime(), query));
  });
}
