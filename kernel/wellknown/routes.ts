import type { Knex } from 'knex';
import type { KeyRing } from '../contracts.js';
import type { RouteTable, StaticDocument } from '../http/routes.js';
import { pingDatabase } from '../storage/dialect.js';
import type { Discovery } from './discovery.js';
import { sendJson } from '../http/json.js';
import { sendSerialized, type Serialized } from './documents.js';

/** Seconds caches may keep JWKS and discovery; a rotated key is published long before it signs anything stale. */
const WELL_KNOWN_MAX_AGE = 300;

export function registerWellKnownRoutes(
  routes: RouteTable,
  deps: { discovery: () => Discovery; keys: () => KeyRing; db: () => Knex },
): void {
  const add = (path: string, handler: Parameters<RouteTable['add']>[0]['handler'], document?: StaticDocument) =>
    routes.add({ listener: 'public', method: 'GET', path, handler, options: {}, owner: 'kernel', document });
  const addDocument = (path: string, current: () => Serialized, type: string) =>
    add(path, (ctx) => sendSerialized(ctx, current(), WELL_KNOWN_MAX_AGE, type), {
      current,
      maxAge: WELL_KNOWN_MAX_AGE,
      // What koa writes for the same type (it adds the charset for application/json).
      contentType: type === 'application/json' ? 'application/json; charset=utf-8' : type,
    });

  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    addDocument(path, () => deps.discovery().serialized(), 'application/json');
  }
  addDocument('/.well-known/jwks.json', () => deps.keys().jwks(), 'application/jwk-set+json');

  const health = async (ctx: Parameters<Parameters<RouteTable['add']>[0]['handler']>[0]) => {
    const ok = await pingDatabase(deps.db());
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ok ? 200 : 503;
    sendJson(ctx, { status: ok ? 'ok' : 'degraded', time: new Date().toISOString(), db: ok ? 'ok' : 'error' });
  };
  add('/health', health);
  add('/ready', health);
  // Liveness touches no dependency: a database outage must not get the process restarted.
  add('/livez', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    sendJson(ctx, { status: 'ok', time: new Date().toISOString() });
  });
}
