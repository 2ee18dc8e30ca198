/** `GET /admin/audit`: the audit trail, filtered and bounded, newest first. */
import type { RegisterApi } from 'authplane';
import { parseAuditQuery, queryAuditEvents } from './query.js';

export function registerAuditRoutes(api: RegisterApi): void {
  api.route('admin', 'GET', '/admin/audit', async (ctx) => {
    const query = parseAuditQuery(ctx.query);
    // Events this server emitted a moment ago may still wait for their batch: the trail includes them.
    await api.runtime().audit.flush();
    ctx.body = { events: await queryAuditEvents(api.runtime(), query) };
  });
}
