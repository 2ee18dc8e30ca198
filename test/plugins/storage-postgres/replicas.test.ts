/**
 * Two replicas on one PostgreSQL database share what used to be per process: a DCR mode switch, a client's status
 * and a resource's scopes reach the other replica within a second through LISTEN/NOTIFY (each cache's own expiry is
 * seconds away, and the resources refresh an hour away, so only the announcement explains it), and the per-address
 * rate limit and the login lockout count once for both.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientCredentials, clients, dcr, oauth, rateLimit, resources, users } from 'authplane/plugins';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { requirePostgres } from '../../helpers/postgres.js';
import { startReplicas } from '../../helpers/replicas.js';
import type { TestServer } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { requestMachineToken } from '../client-credentials/setup.js';

const USER = { email: 'ada@example.com', password: 'correct horse battery staple', name: 'Ada' };
/** The bound the issue sets for a change on one replica to be seen on another. */
const WITHIN_MS = 1000;

async function post(server: TestServer, path: string, body: unknown, method = 'POST') {
  const response = await server.admin(path, { method, body: JSON.stringify(body) });
  const json = await response.json();
  assert.ok(response.status < 300, `${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Waits until `check` holds on the other replica, and says how long that took after the change. */
async function seenWithin(what: string, changedAt: number, check: () => Promise<boolean>): Promise<void> {
  await waitFor(what, check);
  const elapsed = Date.now() - changedAt;
  assert.ok(elapsed < WITHIN_MS, `${what}: ${elapsed} ms after the change; the bound is ${WITHIN_MS} ms`);
}

const register = (server: TestServer) =>
  fetch(`${server.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'MCP client', redirect_uris: ['http://127.0.0.1:8765/callback'], token_endpoint_auth_method: 'none' }),
  });

test('a DCR mode switch, a client suspension and a resource edit on A reach B within a second', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { replicas: [a, b] } = await startReplicas(t, {
    plugins: () => [clients(), resources({ refreshInterval: 3600 }), users(), oauth(), clientCredentials(), dcr({ mode: 'open' })],
  });

  // B has the mode in memory (it answered a registration), then A switches it.
  assert.equal((await register(b!)).status, 201);
  let changedAt = Date.now();
  await post(a!, '/admin/settings/dcr', { mode: 'admin_only' }, 'PATCH');
  changedAt = Date.now();
  await seenWithin('B to refuse registrations after A switched DCR to admin_only', changedAt, async () => (await register(b!)).status !== 201);

  // B has the client in its cache (it issued a token), then A suspends it.
  const client = await post(a!, '/admin/clients', { client_name: 'Machine', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'jobs' });
  assert.equal((await requestMachineToken(b!.url, client)).status, 200);
  await post(a!, `/admin/clients/${client.client_id}/suspend`, {});
  changedAt = Date.now();
  await seenWithin('B to refuse the client A suspended', changedAt, async () => (await requestMachineToken(b!.url, client)).status === 401);

  // B has the resource in its catalog, then A adds a scope: B's discovery lists it.
  const resource = await post(a!, '/admin/resources', { slug: 'mcp', display_name: 'MCP', uri: 'https://mcp.example.com/mcp', backend_kind: 'mint', scopes: [{ name: 'tools/read', description: 'Read' }] });
  const scopesOfB = async () => ((await (await fetch(`${b!.url}/.well-known/oauth-authorization-server`)).json()).scopes_supported as string[]) ?? [];
  await waitFor('B to list the new resource\'s scope', async () => (await scopesOfB()).includes('tools/read'));
  await post(a!, `/admin/resources/${resource.id}`, { scopes: [{ name: 'tools/read', description: 'Read' }, { name: 'tools/write', description: 'Write' }] }, 'PATCH');
  changedAt = Date.now();
  await seenWithin('B to list the scope A added', changedAt, async () => (await scopesOfB()).includes('tools/write'));
});

test('the rate limit of an address is one budget across both replicas', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { replicas: [a, b] } = await startReplicas(t, {
    // Six token-endpoint requests per window of 60 000 s: the window does not roll over during the test.
    plugins: () => [clients(), resources(), clientCredentials(), rateLimit({ token: { capacity: 6, refillPerSecond: 0.0001 } })],
  });
  const statuses: number[] = [];
  for (const server of [a!, b!, a!, b!, a!, b!, a!, b!]) {
    const response = await requestMachineToken(server.url, { client_id: 'nobody', client_secret: 'wrong' });
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429], 'the 7th request is over the budget on either replica');
  const limited = await requestMachineToken(b!.url, { client_id: 'nobody', client_secret: 'wrong' });
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  assert.equal((await limited.json()).error, 'slow_down');
});

test('login failures on A and B add up to one lockout, which holds on both', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { replicas: [a, b] } = await startReplicas(t, {
    plugins: () => [clients(), resources(), users(), oauth()],
    env: { AUTHPLANE_OAUTH_LOGIN_MAX_FAILURES: '3' },
  });
  await post(a!, '/admin/users', { ...USER, role: 'user' });
  const attempt = async (server: TestServer, password: string) => {
    const browser = new ScriptedBrowser(server.url);
    return browser.login(await browser.request('/login'), USER.email, password);
  };
  assert.equal((await attempt(a!, 'wrong 1')).status, 401);
  assert.equal((await attempt(b!, 'wrong 2')).status, 401);
  assert.equal((await attempt(a!, 'wrong 3')).status, 429, 'the third failure, whichever replica saw the others, locks the pair');
  assert.equal((await attempt(b!, USER.password)).status, 429, 'B refuses the right password too');
  assert.equal((await attempt(a!, USER.password)).status, 429);
});
