import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { dpop } from 'authplane/plugins';
import { helloPlugin } from '../fixtures/plugins/hello-plugin.js';
import { ADMIN_KEY, REPO_ROOT, startServer } from '../helpers/server.js';

const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;

test('admin routes answer 401 with a Bearer realm="admin" challenge without a key or with a wrong one', async (t) => {
  const { adminUrl } = await startServer(t);
  const attempts: Record<string, Record<string, string>> = {
    'no header': {},
    'wrong key': { authorization: 'Bearer not-the-admin-key-0000000' },
    'key with a suffix': { authorization: `Bearer ${ADMIN_KEY}x` },
    'key as Basic': { authorization: `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString('base64')}` },
    'bare key': { authorization: ADMIN_KEY },
  };
  for (const path of ['/admin/system/status', '/admin/system/config', '/admin/keys']) {
    for (const [name, headers] of Object.entries(attempts)) {
      const response = await fetch(`${adminUrl}${path}`, { headers });
      assert.equal(response.status, 401, `${path} with ${name}`);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="admin"');
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const body = await response.json();
      assert.equal(body.status, 401);
      assert.equal(body.title, 'Unauthorized');
    }
  }
  const rotate = await fetch(`${adminUrl}/admin/keys/rotate`, { method: 'POST' });
  assert.equal(rotate.status, 401, 'a POST without a key changes nothing');
  const ok = await fetch(`${adminUrl}/admin/keys`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).keys.length, 1, 'the refused rotation did not happen');
});

test('without AUTHPLANE_ADMIN_API_KEY on localhost the admin API refuses every request', async (t) => {
  const { adminUrl } = await startServer(t, { env: { AUTHPLANE_ADMIN_API_KEY: undefined } });
  const response = await fetch(`${adminUrl}/admin/system/status`, { headers: { authorization: 'Bearer anything-at-all-123456' } });
  assert.equal(response.status, 401);
  assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="admin"');
  assert.match((await response.json()).detail, /AUTHPLANE_ADMIN_API_KEY/);
});

test('admin routes are served on the admin listener only', async (t) => {
  const { url } = await startServer(t);
  const response = await fetch(`${url}/admin/system/status`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(response.status, 404);
  assert.equal((await fetch(`${url}/metrics`)).status, 404);
});

test('/admin/system/status reports version, uptime_secs and subsystems', async (t) => {
  const { admin } = await startServer(t);
  const response = await admin('/admin/system/status');
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.deepEqual(Object.keys(body).sort(), ['subsystems', 'uptime_secs', 'version', 'versions']);
  assert.equal(body.version, VERSION);
  assert.deepEqual(body.versions, { authplane: VERSION, node: process.versions.node });
  assert.ok(Number.isInteger(body.uptime_secs) && body.uptime_secs >= 0 && body.uptime_secs < 60);
  assert.equal(typeof body.subsystems, 'object');
  assert.equal(body.subsystems.database.status, 'ok');
  assert.equal(body.subsystems.signing_keys.status, 'ok');
});

test('/admin/system/config shows the effective config with every secret removed', async (t) => {
  const secrets = {
    AUTHPLANE_SESSION_SECRET: 'session-secret-value-4f7a9c2e1b8d3f6a',
    AUTHPLANE_STORAGE_POSTGRES_DSN: 'postgres://authplane:pg-password-9d8e7f@db.internal:5432/authplane',
    AUTHPLANE_HELLO_PLUGIN_CLIENT_SECRET: 'hello-client-secret-value-5e6f7a8b',
  };
  // dpop with required nonces reads AUTHPLANE_SESSION_SECRET, a plugin's secret outside any config section.
  const { admin, logs } = await startServer(t, { plugins: [helloPlugin({ greeting: 'visible' }), dpop({ requireNonce: true })], env: secrets });
  const response = await admin('/admin/system/config');
  assert.equal(response.status, 200);
  const text = await response.text();
  for (const value of [ADMIN_KEY, ...Object.values(secrets), 'pg-password-9d8e7f']) {
    assert.ok(!text.includes(value), `the body does not contain ${value.slice(0, 12)}…`);
  }
  const config = JSON.parse(text);
  assert.ok(!('apiKey' in config.admin), 'admin.apiKey removed, not masked');
  assert.ok(!('session' in config), 'the session secret is a plugin\'s environment variable, not a kernel option');
  assert.ok(!('dsn' in config.storage.postgres));
  assert.ok(!('clientSecret' in config.helloPlugin));
  assert.equal(config.storage.postgres.poolMax, 10, 'non-secret siblings stay');
  assert.equal(config.helloPlugin.greeting, 'visible');
  assert.equal(config.server.issuer, 'http://localhost:9000');
  assert.ok(config.plugins.includes('hello-plugin'));

  const logged = JSON.stringify(logs);
  for (const value of [ADMIN_KEY, ...Object.values(secrets)]) assert.ok(!logged.includes(value), 'no secret in the logs');
});

test('/metrics exposes request counts by method, route and status, durations and process metrics', async (t) => {
  const { url, adminUrl } = await startServer(t);
  await fetch(`${url}/livez`);
  await fetch(`${url}/livez`);
  await fetch(`${url}/no/such/path/12345`);
  const response = await fetch(`${adminUrl}/metrics`);
  assert.equal(response.status, 200, '/metrics needs no admin key (scrapers reach the admin listener only)');
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await response.text();
  const series = (name: string, labels: Record<string, string>) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`))
      .find((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)));
  const livez = series('authserver_http_requests_total', { method: 'GET', route: '/livez', status: '200' });
  assert.ok(livez, text);
  assert.match(livez, / 2$/);
  assert.ok(series('authserver_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }));
  assert.ok(!text.includes('/no/such/path'), 'unmatched paths do not become label values');
  assert.ok(series('authserver_http_request_duration_seconds_bucket', { method: 'GET', route: '/livez', le: '+Inf' }));
  assert.match(text, /^authserver_http_request_duration_seconds_count\{[^}]*route="\/livez"[^}]*\} 2$/m);
  assert.match(text, /^# TYPE authserver_http_requests_total counter$/m);
  assert.match(text, /^# TYPE authserver_http_request_duration_seconds histogram$/m);
  assert.match(text, /^process_cpu_user_seconds_total \d/m);
  assert.match(text, /^process_resident_memory_bytes \d/m);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
});
