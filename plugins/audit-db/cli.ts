/** `authserver admin audit list`: the same filters and bounds as `GET /admin/audit`, read from the database. */
import { printRecords, type RegisterApi } from 'authplane';
import { parseAuditQuery, queryAuditEvents } from './query.js';

/** CLI flag → API parameter. */
const FLAGS = {
  since: 'since',
  until: 'until',
  'user-id': 'user_id',
  'client-id': 'client_id',
  action: 'action',
  limit: 'limit',
} as const;

export function registerAuditCommands(api: RegisterApi): void {
  api.registries.cliCommands.register('admin audit list', {
    description: 'List audit events, newest first (default: the last 24 hours, at most 100)',
    options: {
      since: { type: 'string', description: 'RFC 3339 start of the window, e.g. 2025-01-31T00:00:00Z (window at most 30 days)' },
      until: { type: 'string', description: 'RFC 3339 end of the window (default: now)' },
      'user-id': { type: 'string', description: 'Only events about this user' },
      'client-id': { type: 'string', description: 'Only events about this client' },
      action: { type: 'string', description: 'Only this action, e.g. client_created' },
      limit: { type: 'string', description: 'Most events to print, 1-1000 (default 100)' },
      json: { type: 'boolean', description: 'Print JSON ({"events": [...]})' },
    },
    async run({ boot, options, out }) {
      const raw: Record<string, string> = {};
      for (const [flag, param] of Object.entries(FLAGS)) {
        if (typeof options[flag] === 'string') raw[param] = options[flag] as string;
      }
      const query = parseAuditQuery(raw);
      const server = await boot();
      try {
        const events = await queryAuditEvents(api.runtime(), query);
        const json = options.json === true;
        const rows = json
          ? events.map((e) => ({ ...e }))
          : events.map((e) => ({
              time: e.time,
              action: e.action,
              actor_id: e.actor_id,
              user_id: e.user_id,
              client_id: e.client_id,
              ip: e.ip,
              request_id: e.request_id,
            }));
        printRecords(out, json, 'events', rows);
      } finally {
        await server.stop();
      }
    },
  });
}
