import type { Knex } from 'knex';
import type { KeyRing, KeyStoreStatus, PublicKeyInfo } from '../contracts.js';
import { secretLeaves } from '../config/env.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { Metrics } from '../observe/metrics.js';
import { pingDatabase } from '../storage/dialect.js';
import type { RouteTable } from './routes.js';
import type { TokenIssuer } from '../token/contracts.js';
import { readJson } from './body.js';
import { inspectToken, parseInspectBody } from './token-inspect.js';

export function keyView(key: PublicKeyInfo) {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.current ? 'current' : key.publishedUntil && key.publishedUntil > new Date() ? 'published' : 'expired',
    created_at: key.createdAt.toISOString(),
    retired_at: key.retiredAt?.toISOString() ?? null,
    published_until: key.publishedUntil?.toISOString() ?? null,
  };
}

/** The key store in use; a warning when replicas on the shared database would each publish their own keys. */
function keyStoreView(store: KeyStoreStatus, storageDriver: string) {
  return {
    name: store.name,
    shared: store.shared ?? null,
    location: store.location ?? null,
    watched: store.watched,
    ...(store.shared === false && storageDriver === 'postgres'
      ? { warning: 'not shared between servers: replicas on this PostgreSQL database each publish their own signing keys' }
      : {}),
  };
}

/** The effective config with every `x-secret` value removed (not masked: its length is a secret too). */
export function redactedConfig(resolved: ResolvedConfig): Record<string, unknown> {
  const copy: Record<string, unknown> = structuredClone(
    Object.assign({}, resolved.kernel, Object.fromEntries(resolved.plugins.map((p) => [p.key, p.options]))),
  );
  for (const leaf of secretLeaves(resolved.schema)) {
    let node: Record<string, unknown> | undefined = copy;
    for (const key of leaf.path.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
    if (node) delete node[leaf.path[leaf.path.length - 1]!];
  }
  return Object.assign({}, copy, { plugins: resolved.plugins.map((p) => p.instance.definition.name) });
}

export function registerSystemRoutes(
  routes: RouteTable,
  deps: {
    version: string;
    startedAt: number;
    resolved: ResolvedConfig;
    metrics: Metrics;
    db: () => Knex;
    keys: () => KeyRing;
    keyStore: () => KeyStoreStatus;
    storageDriver: string;
    /** For the token inspector: the issuer, revocation lookups and the server's clock. */
    issuer: string;
    tokens: () => TokenIssuer | undefined;
    now: () => number;
  },
): void {
  const admin = (method: 'GET' | 'POST', path: string, handler: Parameters<RouteTable['add']>[0]['handler']) =>
    routes.add({ listener: 'admin', method, path, handler, options: {}, owner: 'kernel' });

  admin('GET', '/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  admin('GET', '/admin/system/status', async (ctx) => {
    const db = await pingDatabase(deps.db());
    ctx.body = {
      version: deps.version,
      versions: { authplane: deps.version, node: process.versions.node },
      uptime_secs: Math.floor((Date.now() - deps.startedAt) / 1000),
      subsystems: {
        database: { status: db ? 'ok' : 'error', driver: deps.storageDriver },
        signing_keys: {
          status: 'ok',
          current_kid: deps.keys().currentKid,
          published: JSON.parse(deps.keys().jwks().body.toString()).keys.length,
          store: keyStoreView(deps.keyStore(), deps.storageDriver),
        },
        plugins: deps.resolved.plugins.map((p) => p.instance.definition.name),
      },
    };
  });
  admin('GET', '/admin/system/config', (ctx) => {
    ctx.body = redactedConfig(deps.resolved);
  });
  admin('GET', '/admin/keys', (ctx) => {
    ctx.body = { keys: deps.keys().list().map(keyView) };
  });
  admin('POST', '/admin/keys/rotate', async (ctx) => {
    const key = await deps.keys().rotate();
    ctx.status = 201;
    ctx.body = keyView(key);
  });
  admin('POST', '/admin/keys/inspect', async (ctx) => {
    const input = parseInspectBody(readJson(ctx));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await inspectToken(input, { keys: deps.keys(), tokens: deps.tokens(), issuer: deps.issuer, now: deps.now() });
  });
}
