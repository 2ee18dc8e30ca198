/**
 * audit-log: a sink that writes every audit event whole as one JSON log line (`"msg":"audit event"`, the event under
 * `audit_event`), for deployments that ship logs rather than query a database. The kernel's own `audit` line (at
 * debug) carries only the action and ids; this one carries everything (`detail`, ip, actor, trace), at the level
 * configured here (a `log.level` above it hides them, as any line). Taps: `auditSinks`.
 */
import { auditEventJson, definePlugin, Type } from 'authplane';

export const auditLog = definePlugin({
  name: 'audit-log',
  schema: Type.Object(
    {
      level: Type.Enum(['info', 'warn', 'error'], {
        default: 'info',
        description: 'Level of the audit event lines; `log.level` above it hides them.',
      }),
    },
    { additionalProperties: false, description: 'Audit events as JSON log lines.' },
  ),
  register(api, options) {
    const log = api.log;
    api.hooks.auditSinks.tapPromise(api.name, async (events) => {
      for (const event of events) log[options.level]({ audit_event: auditEventJson(event) }, 'audit event');
    });
  },
});
