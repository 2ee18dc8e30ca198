import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { authorizeUrl, loggedInBrowser, pkce, tokenRequest } from '../oauth/flow.js';
import type { OAuthFixture } from '../oauth/setup.js';
import { cimdServer, claudeCodeLike, clockedResolver, startDocumentHost } from './setup.js';

/** Authorizes a metadata-document client with a logged-in browser; returns the callback. */
async function authorize(fx: OAuthFixture, clientId: string, redirectUri: string) {
  const { verifier, challenge } = pkce();
  const browser = await loggedInBrowser(fx);
  let page = await browser.request(authorizeUrl(fx, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge }));
  if (page.status === 200 && page.body.includes('name="decision"')) page = await browser.consent(page, 'allow');
  return { page, verifier };
}

test('a client identified by its metadata document URL authorizes at any loopback port and redeems its code', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  const clientId = host.serve('/oauth/client-metadata.json', claudeCodeLike);
  // Claude Code lists http://localhost/callback without a port and listens on whatever port is free.
  const redirectUri = 'http://localhost:45871/callback';
  const { page, verifier } = await authorize(fx, clientId, redirectUri);
  assert.ok([302, 303].includes(page.status), page.body.slice(0, 400));
  const callback = new URL(page.url);
  assert.equal(`${callback.origin}${callback.pathname}`, 'http://localhost:45871/callback');
  const code = callback.searchParams.get('code')!;
  assert.ok(code);

  const response = await tokenRequest(fx, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId });
  const tokens = await response.json();
  assert.equal(response.status, 200, JSON.stringify(tokens));
  assert.ok(tokens.refresh_token);
  const refreshed = await tokenRequest(fx, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
  assert.equal(refreshed.status, 200, await refreshed.clone().text());
  assert.equal(host.hits('/oauth/client-metadata.json'), 1, 'authorize, token and refresh share one fetch');

  const stored = await (await fx.admin(`/admin/clients/${encodeURIComponent(clientId)}`)).json();
  assert.equal(stored.registration_source, 'cimd');
  assert.equal(stored.client_name, 'Claude Code (test)');
  assert.equal(stored.token_endpoint_auth_method, 'none');
  await fx.server.runtimeApi().audit.flush();
  const { events } = await (await fx.admin(`/admin/audit?action=client_registered&client_id=${encodeURIComponent(clientId)}`)).json();
  assert.equal(events.length, 1);
  assert.equal(events[0].detail.registration_source, 'cimd');
  const metrics = await (await fx.admin('/metrics')).text();
  assert.match(metrics, /authserver_cimd_fetch_duration_seconds_count\{outcome="ok"\} 1/);
  assert.match(metrics, /authserver_clients_registered_total\{source="cimd"\} 1/);
});

test('a loopback redirect URI registered without a port does not match another host or path', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  const clientId = host.serve('/client.json', claudeCodeLike);
  for (const redirectUri of [
    'http://localhost:45871/other',
    'http://127.0.0.2:45871/callback',
    'https://localhost:45871/callback',
    // User information before a loopback host: the port-free match must not ignore it.
    'http://evil@localhost:45871/callback',
    'http://evil:pw@127.0.0.1/callback',
    'http://@127.0.0.1:45871/callback',
  ]) {
    const { page } = await authorize(fx, clientId, redirectUri);
    assert.equal(page.status, 400, redirectUri);
    assert.match(page.body, /redirect_uri is not registered/);
  }
});

test('a redirect URI with user information does not match an administrator-registered loopback redirect URI either', async (t) => {
  const fx = await cimdServer(t);
  // fx.clientId is registered with http://127.0.0.1:8765/callback.
  for (const redirectUri of ['http://evil@127.0.0.1:8765/callback', 'http://evil@127.0.0.1:9999/callback']) {
    const { page } = await authorize(fx, fx.clientId, redirectUri);
    assert.equal(page.status, 400, redirectUri);
    assert.match(page.body, /redirect_uri is not registered/);
  }
});

test('fifty concurrent authorizations of a new client collapse into one fetch of its document', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  const clientId = host.route('/slow-client.json', async (req, res) => {
    await sleep(300);
    const url = `${host.origin}/slow-client.json`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(claudeCodeLike(url)));
  });
  const responses = await Promise.all(
    Array.from({ length: 50 }, () => fetch(authorizeUrl(fx, { client_id: clientId, redirect_uri: 'http://127.0.0.1:9999/callback' }), { redirect: 'manual' })),
  );
  // Without a session every valid request is sent to the login page.
  assert.deepEqual([...new Set(responses.map((r) => r.status))], [302]);
  assert.ok(responses.every((r) => r.headers.get('location')!.startsWith('/login?')));
  assert.equal(host.hits('/slow-client.json'), 1);
  const { clients } = await (await fx.admin('/admin/clients?source=cimd')).json();
  assert.equal(clients.length, 1, 'one client row, not fifty');
});

test('a cached document is reused for its Cache-Control max-age, never longer than cimd.cacheTtl, then refreshed', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  const { clock, resolve } = clockedResolver(fx, { cacheTtl: 120 });
  let name = 'First name';
  const short = host.serve('/short.json', (url) => ({ ...claudeCodeLike(url), client_name: name }), { 'cache-control': 'public, max-age=60' });
  const long = host.serve('/long.json', claudeCodeLike, { 'cache-control': 'max-age=86400' });
  const silent = host.serve('/silent.json', claudeCodeLike);
  const noStore = host.serve('/no-store.json', claudeCodeLike, { 'cache-control': 'no-store' });
  const hits = () => ['/short.json', '/long.json', '/silent.json', '/no-store.json'].map((path) => host.hits(path));
  const lookAll = async () => {
    for (const url of [short, long, silent, noStore]) assert.ok(await resolve(url), url);
  };

  await lookAll();
  await lookAll();
  assert.deepEqual(hits(), [1, 1, 1, 2], 'no-store is fetched every time');
  name = 'Renamed';
  clock.advance(59_000);
  await lookAll();
  assert.deepEqual(hits(), [1, 1, 1, 3], 'max-age=60 still holds after 59 s');
  clock.advance(2_000);
  assert.equal((await resolve(short))!.client_name, 'Renamed', 'a refreshed document updates the stored client');
  await resolve(long);
  assert.deepEqual(hits().slice(0, 2), [2, 1], 'max-age=60 ran out; the capped day did not yet');
  clock.advance(58_000);
  await resolve(long);
  await resolve(silent);
  assert.deepEqual(hits().slice(1, 3), [1, 1], 'at 119 s both are still within cacheTtl=120');
  clock.advance(2_000);
  await resolve(long);
  await resolve(silent);
  assert.deepEqual(hits().slice(1, 3), [2, 2], 'max-age=86400 was capped by cacheTtl; no header means cacheTtl');
});

test('an Expires header without a Date header is read against the injected clock', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  // Ten days from the real clock, so reading Expires against the real clock would give a different lifetime.
  const { clock, resolve } = clockedResolver(fx, { cacheTtl: 3600 }, Date.now() + 10 * 86_400_000);
  const clientId = host.route('/expires.json', (_req, res) => {
    res.sendDate = false;
    res.writeHead(200, { 'content-type': 'application/json', expires: new Date(clock.now + 90_000).toUTCString() });
    res.end(JSON.stringify(claudeCodeLike(`${host.origin}/expires.json`)));
  });
  await resolve(clientId);
  clock.advance(88_000);
  await resolve(clientId);
  assert.equal(host.hits('/expires.json'), 1, 'fresh until Expires');
  clock.advance(3_000);
  await resolve(clientId);
  assert.equal(host.hits('/expires.json'), 2, 'Expires has passed');
});

test('admin_only DCR mode stops metadata-document clients at authorize and at the token endpoint', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  const clientId = host.serve('/client.json', claudeCodeLike);
  const redirectUri = 'http://127.0.0.1:9999/callback';
  const { page, verifier } = await authorize(fx, clientId, redirectUri);
  const code = new URL(page.url).searchParams.get('code')!;
  assert.ok(code);

  const patched = await fx.admin('/admin/settings/dcr', { method: 'PATCH', body: JSON.stringify({ mode: 'admin_only' }) });
  assert.equal(patched.status, 200);
  const refused = await authorize(fx, clientId, redirectUri);
  assert.equal(refused.page.status, 400);
  assert.match(refused.page.body, /admin only/);
  const token = await tokenRequest(fx, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId });
  assert.equal(token.status, 401);
  assert.equal((await token.json()).error, 'invalid_client');
});

test('a suspended metadata-document client stays suspended when its document is fetched again', async (t) => {
  const fx = await cimdServer(t, { cimdOptions: { cacheTtl: 0 } });
  const host = await startDocumentHost(t);
  const clientId = host.serve('/client.json', claudeCodeLike);
  const redirectUri = 'http://127.0.0.1:9999/callback';
  assert.ok(new URL((await authorize(fx, clientId, redirectUri)).page.url).searchParams.get('code'));
  const fetchesBefore = host.hits('/client.json');
  const suspended = await fx.admin(`/admin/clients/${encodeURIComponent(clientId)}/suspend`, { method: 'POST' });
  assert.equal(suspended.status, 200);
  const { page } = await authorize(fx, clientId, redirectUri);
  assert.equal(new URL(page.url).searchParams.get('error'), 'unauthorized_client');
  assert.ok(host.hits('/client.json') > fetchesBefore, 'the document was fetched again (cacheTtl 0) and the status kept');
});
