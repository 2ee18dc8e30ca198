/** `authserver admin audit list`: the same filters and bounds as `GET /admin/audit`, read from the database. */
import { PAGE_OPTIONS, pageFlags, printPages, type RegisterApi } from 'authplane';
import { parseAuditQuery, queryAuditEvents } from './query.js';

/** CLI flag → API parameter. */
const FLAGS = {
  since: 'since',
  until: 'until',
  'user-id': 'user_id',
  'client-id': 'client_id',
  action: 'action',
} as const;

export function registerAuditCommands(api: RegisterApi): void {
  api.registries.cliCommands.register('admin audit list', {
    description: 'List audit events, newest first (default: the last 24 hours), page after page',
    options: {
      since: { type: 'string', description: 'RFC 3339 start of the window, e.g. 2025-01-31T00:00:00Z (window at most 30 days)' },
      until: { type: 'string', description: 'RFC 3339 end of the window (default: now)' },
      'user-id': { type: 'string', description: 'Only events about this user' },
      'client-id': { type: 'string', description: 'Only events about this client' },
      action: { type: 'string', description: 'Only this action, e.g. client_created' },
      ...PAGE_OPTIONS,
      json: { type: 'boolean', description: 'Print JSON ({"events": [...], "next": …})' },
    },
    async run({ boot, options, out }) {
      const raw: Record<string, string> = pageFlags(options);
      for (const [flag, param] of Object.entries(FLAGS)) {
        if (typeof options[flag] === 'string') raw[param] = options[flag] as string;
      }
      // Checked before booting: a bad flag is reported without opening the database.
      const first = parseAuditQuery(raw);
      const server = await boot();
      try {
        await printPages({ options, out }, 'events', async (cursor) => {
          const query = cursor === raw.cursor ? first : parseAuditQuery({ ...raw, ...(cursor ? { cursor } : {}) });
          return queryAuditEvents(api.runtime(), query);
        }, (e) => ({
          time: e.time,
          action: e.action,
          actor_id: e.actor_id,
          user_id: e.user_id,
          client_id: e.client_id,
          ip: e.ip,
          request_id: e.request_id,
        }));
      } finally {
        await server.stop();
      }
    },
  });
}
