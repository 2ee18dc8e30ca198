/**
 * audit-db: the built-in audit sink. Writes every audit event as an `audit_events` row, a batch in one transaction;
 * an event the database refuses is reported dropped (logged, counted) without losing the rest of its batch.
 * Taps: `auditSinks`. Registers: purge target `audit_events` (rows older than `retentionDays`).
 * Reads it back: `GET /admin/audit` and `authserver admin audit list` (filters since, until, user_id, client_id,
 * action, limit; bounded window); `GET /admin/audit/export?since&until` streams the whole window as NDJSON;
 * `GET /admin/audit/stream` is the live tail as server-sent events (stream.ts). Registers the Audit log console
 * page (`adminPages: audit`).
 * `GET /admin/audit/summary?since&until` counts the window's events by action and its refusals by reason.
 */
import { definePlugin, Type } from 'authplane';
import { registerAuditRoutes } from './admin-routes.js';
import { registerAuditCommands } from './cli.js';
import { registerAuditExportRoute } from './export.js';
import { AuditFeed, registerAuditStreamRoute } from './stream.js';
import { registerAuditSummaryRoute } from './summary.js';
import { writeAuditEvents } from './write.js';
import { auditEvents0001 } from '../../migrations/audit-db/0001_audit_events.js';
import { auditEvents0002 } from '../../migrations/audit-db/0002_actor_fits_client_ids.js';
import { auditEvents0003 } from '../../migrations/audit-db/0003_audit_paging.js';
import { auditUserPartialIndex0004 } from '../../migrations/audit-db/0004_user_partial_index.js';

export const auditDb = definePlugin({
  name: 'audit-db',
  schema: Type.Object(
    {
      retentionDays: Type.Integer({
        minimum: 1,
        default: 90,
        description: 'Audit events older than this are removed by `authserver purge --only audit_events`.',
      }),
      streamHeartbeatSeconds: Type.Integer({
        minimum: 1,
        maximum: 300,
        default: 15,
        description: 'Seconds between the keep-alive comments of an idle `GET /admin/audit/stream`.',
      }),
    },
    { additionalProperties: false },
  ),
  register(api, options) {
    api.migrations([auditEvents0001, auditEvents0002, auditEvents0003, auditUserPartialIndex0004]);
    const runtime = api.runtime;
    const feed = new AuditFeed();
    api.hooks.auditSinks.tapPromise(api.name, async (events) => {
      await writeAuditEvents(runtime(), events);
      // After the write, so an event in the live tail is already in GET /admin/audit.
      feed.publish(events);
    });
    api.registries.purgeTargets.register('audit_events', {
      description: `audit events older than ${options.retentionDays} days (or --older-than)`,
      retention: true,
      deletes: ({ now, olderThanMs }) => {
        const before = now.getTime() - (olderThanMs ?? options.retentionDays * 86_400_000);
        return [{ table: 'audit_events', key: 'id', where: (q) => q.where('time', '<', before) }];
      },
    });
    registerAuditRoutes(api);
    registerAuditExportRoute(api);
    registerAuditStreamRoute(api, feed, { heartbeatMs: options.streamHeartbeatSeconds * 1000 });
    api.registries.adminPages.register('audit', {
      path: 'audit',
      title: 'Audit log',
      icon: 'list',
      module: new URL('./admin-ui/ap-audit-page.ts', import.meta.url).href,
      element: 'ap-audit-page',
      permission: 'admin',
      section: 'Security',
      order: 30,
    });
    registerAuditSummaryRoute(api);
    registerAuditCommands(api);
  },
});
