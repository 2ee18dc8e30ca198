/**
 * The air-gapped promise: a default build (every built-in plugin, the repository's authplane.config.ts) on
 * PostgreSQL opens no socket but its two listeners and its database connections, and looks up no name — through
 * start-up, a round of requests touching every plugin, and shutdown. Two witnesses: a preload that records every
 * connect, listen, UDP socket and DNS call as it is made (test/build/socket-recorder.mjs), and the kernel's own
 * socket tables (/proc) for what the process holds while it serves.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { freshPostgresDatabase, requirePostgres } from '../helpers/postgres.js';
import { ADMIN_KEY, REPO_ROOT, tempDir } from '../helpers/server.js';
import { buildServer, bundledPlugins, serveBuilt } from './built-server.js';

interface Recorded {
  kind: 'connect' | 'listen' | 'udp' | 'dns';
  host?: string;
  port?: number;
  path?: string;
  address?: { address: string; port: number };
  call?: string;
  name?: string;
}

/** The process's TCP and UDP sockets from /proc: local and remote port, remote address (hex), state, protocol. */
function inetSockets(pid: number): { proto: string; localPort: number; remote: string; remotePort: number; state: string }[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const sockets = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const table = `/proc/${pid}/net/${proto}`;
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (!inodes.has(fields[9]!)) continue;
      const [, localPort] = fields[1]!.split(':');
      const [remote, remotePort] = fields[2]!.split(':');
      sockets.push({ proto, localPort: parseInt(localPort!, 16), remote: remote!, remotePort: parseInt(remotePort!, 16), state: fields[3]! });
    }
  }
  return sockets;
}

const LISTEN = '0A';
/** 127.0.0.1 as /proc prints it: little-endian hex, alone (tcp) or as ::ffff:127.0.0.1 (tcp6). */
const LOOPBACK_V4 = /0100007F$/;

test('a default build on PostgreSQL opens no socket except its listeners and the database, and looks up no name', async (t) => {
  if (!(await requirePostgres(t))) return;
  const dsn = await freshPostgresDatabase(t);
  const { dir, metafile } = await buildServer(t, join(REPO_ROOT, 'authplane.config.ts'));
  assert.ok(bundledPlugins(metafile).length >= 17, `every built-in plugin is in the default build: ${bundledPlugins(metafile).join(', ')}`);

  const log = join(tempDir(t), 'sockets.jsonl');
  const { url, adminUrl, child, exited, output } = await serveBuilt(t, dir, {
    nodeArgs: ['--import', pathToFileURL(join(import.meta.dirname, 'socket-recorder.mjs')).href],
    env: {
      SOCKET_LOG: log,
      AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY,
      AUTHPLANE_STORAGE_DRIVER: 'postgres',
      AUTHPLANE_STORAGE_POSTGRES_DSN: dsn,
      AUTHPLANE_RATE_LIMIT_ENABLED: 'false',
    },
  });
  const listeners = [url, adminUrl!].map((u) => Number(new URL(u).port));
  const admin = async (path: string, body?: unknown) => {
    const response = await fetch(`${adminUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(response.status < 300, `${path}: ${response.status} ${await response.clone().text()}`);
    return response.json() as Promise<Record<string, string>>;
  };
  const form = (path: string, fields: Record<string, string>, client: { client_id: string; client_secret: string }) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(fields),
    });

  // A round of requests through every plugin: discovery, keys, machine tokens, introspection, revocation,
  // registration, the browser flow's first page, the admin API and metrics.
  for (const path of ['/health', '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/.well-known/jwks.json']) {
    assert.equal((await fetch(`${url}${path}`)).status, 200, path);
  }
  await admin('/admin/resources', { slug: 'tools', display_name: 'Tools', uri: 'https://mcp.example.com/mcp', backend_kind: 'mint', scopes: [{ name: 'tools/read', description: 'Read' }] });
  const machine = (await admin('/admin/clients', { client_name: 'Jobs', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'tools/read' })) as { client_id: string; client_secret: string };
  const issued = await form('/oauth/token', { grant_type: 'client_credentials', scope: 'tools/read', resource: 'https://mcp.example.com/mcp' }, machine);
  const token = ((await issued.json()) as { access_token: string }).access_token;
  assert.equal(issued.status, 200);
  assert.equal((await form('/oauth/introspect', { token }, machine)).status, 200);
  assert.equal((await form('/oauth/revoke', { token }, machine)).status, 200);
  const registered = await fetch(`${url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Desktop', redirect_uris: ['http://127.0.0.1:8765/callback'], token_endpoint_auth_method: 'none' }),
  });
  assert.ok(registered.status < 500, `registration: ${registered.status}`);
  const authorize = await fetch(`${url}/oauth/authorize?response_type=code&client_id=unknown&redirect_uri=http://127.0.0.1:8765/cb`, { redirect: 'manual' });
  assert.ok(authorize.status < 500, `authorize: ${authorize.status}`);
  await admin('/admin/system/status');
  assert.equal((await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status, 200);

  // What the process holds while serving: listening on exactly its two ports; connected only as those listeners'
  // peers or to PostgreSQL on 127.0.0.1:5432; no UDP socket.
  const held = inetSockets(child.pid!);
  const stray = held.filter((s) =>
    s.proto.startsWith('udp') ||
    (s.state === LISTEN ? !listeners.includes(s.localPort) : !listeners.includes(s.localPort) && !(s.remotePort === 5432 && LOOPBACK_V4.test(s.remote))),
  );
  assert.deepEqual(stray, [], 'sockets other than the listeners and the database');
  assert.deepEqual(held.filter((s) => s.state === LISTEN).map((s) => s.localPort).sort(), [...listeners].sort());
  assert.ok(held.some((s) => s.remotePort === 5432), 'the database connection is seen');

  child.kill('SIGTERM');
  assert.equal(await exited, 0, output());

  // Everything it did, start to end, as it did it.
  const recorded = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Recorded);
  // Binding a listener to 127.0.0.1 passes the address through dns.lookup, which answers an IP literal itself.
  const others = recorded.filter((r) =>
    r.kind === 'connect'
      ? !(r.host === '127.0.0.1' && r.port === 5432)
      : r.kind === 'listen'
        ? !listeners.includes(r.address!.port)
        : r.kind === 'dns'
          ? isIP(String(r.name)) === 0
          : true,
  );
  assert.deepEqual(others, [], 'the built server opened, bound or looked up something besides its listeners and the database');
  assert.deepEqual(recorded.filter((r) => r.kind === 'listen').map((r) => r.address!.port).sort(), [...listeners].sort());
  assert.ok(recorded.some((r) => r.kind === 'connect'), 'the recorder saw the database connection (it is wired in)');
});
