/** `GET /admin/audit`: the audit trail, filtered and bounded, newest first. */
import type { RegisterApi } from 'authplane';
import { parseAuditQuery, queryAuditEvents } from './query.js';

export function registerAuditRoutes(api: RegisterApi): void {
  api.route('admin', 'GET', '/admin/audit', async (ctx) => {
    const query = parseAuditQuery(ctx.query);
    ctx.body = { events: await queryAuditEvents(api.runtime(), query) };
  });
}
