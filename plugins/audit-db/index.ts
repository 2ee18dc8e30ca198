/**
 * audit-db: the built-in audit sink. Writes every audit event as an `audit_events` row, a batch in one transaction.
 * Taps: `auditSinks`. Registers: purge target `audit_events` (rows older than `retentionDays`).
 * Reads it back: `GET /admin/audit` and `authserver admin audit list` (filters since, until, user_id, client_id,
 * action, limit; bounded window).
 */
import { definePlugin, insertRows } from 'authplane';
import { registerAuditRoutes } from './admin-routes.js';
import { registerAuditCommands } from './cli.js';
import { auditEvents0001 } from '../../migrations/audit-db/0001_audit_events.js';

export interface AuditDbOptions {
  retentionDays: number;
}

export const auditDb = definePlugin<AuditDbOptions>({
  name: 'audit-db',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      retentionDays: {
        type: 'integer',
        minimum: 1,
        default: 90,
        description: 'Audit events older than this are removed by `authserver purge --only audit_events`.',
      },
    },
  },
  register(api, options) {
    api.migrations([auditEvents0001]);
    const runtime = api.runtime;
    api.hooks.auditSinks.tapPromise(api.name, async (events) => {
      const rt = runtime();
      await insertRows(
        rt.db,
        rt.dialect,
        'audit_events',
        events.map((e) => ({
          id: e.id,
          time: e.time.getTime(),
          action: e.action,
          actor_id: e.actor_id ?? null,
          user_id: e.user_id ?? null,
          client_id: e.client_id ?? null,
          ip: e.ip ?? null,
          trace_id: e.trace_id ?? null,
          request_id: e.request_id ?? null,
          detail: e.detail ? JSON.stringify(e.detail) : null,
        })),
      );
    });
    api.registries.purgeTargets.register('audit_events', {
      description: `audit events older than ${options.retentionDays} days`,
      purge: async ({ db: knex, now }) =>
        knex('audit_events')
          .where('time', '<', now.getTime() - options.retentionDays * 86_400_000)
          .delete(),
    });
    registerAuditRoutes(api);
    registerAuditCommands(api);
  },
});
