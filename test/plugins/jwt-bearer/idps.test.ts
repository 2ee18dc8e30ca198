/** `/admin/idps` and `authserver admin idp …`: trusted issuers, exact issuer identifiers, refusals as problems. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';
import { expectError, JWT_BEARER, jwtServer, startIssuer } from './setup.js';

test('trusted issuers are created, listed, changed and deleted; issuers differing by a trailing slash are distinct', async (t) => {
  const fx = await jwtServer(t);
  const a = await fx.trust({ name: 'acme', issuer: 'https://idp.acme.example' });
  assert.deepEqual(
    { enabled: (a as Record<string, unknown>).enabled, audience: (a as Record<string, unknown>).audience, subject_mode: (a as Record<string, unknown>).subject_mode },
    { enabled: true, audience: null, subject_mode: 'auto_map' },
  );
  await fx.trust({ name: 'acme-slash', issuer: 'https://idp.acme.example/' });
  const duplicate = await fx.admin('/admin/idps', { method: 'POST', body: JSON.stringify({ name: 'again', issuer: 'https://idp.acme.example' }) });
  assert.equal(duplicate.status, 409);
  assert.equal(duplicate.headers.get('content-type'), 'application/problem+json');
  for (const body of [
    { name: 'clear', issuer: 'http://idp.example.com' },
    { name: 'Bad Name', issuer: 'https://idp.example.com' },
    { name: 'x', issuer: 'https://idp.example.com', jwks_uri: 'ftp://keys' },
    { name: 'x', issuer: 'https://idp.example.com', surprise: true },
  ]) {
    const response = await fx.admin('/admin/idps', { method: 'POST', body: JSON.stringify(body) });
    assert.equal(response.status, 400, JSON.stringify(body));
  }
  const { idps } = (await (await fx.admin('/admin/idps')).json()) as { idps: { name: string }[] };
  assert.deepEqual(idps.map((i) => i.name), ['acme', 'acme-slash']);
  const patched = await (await fx.admin('/admin/idps/acme', { method: 'PATCH', body: JSON.stringify({ enabled: false, subject_mode: 'strict' }) })).json();
  assert.equal(patched.enabled, false);
  assert.equal(patched.subject_mode, 'strict');
  assert.equal((await fx.admin(`/admin/idps/${a.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await fx.admin(`/admin/idps/${a.id}`)).status, 404);
  const unreachable = await fx.admin('/admin/idps/acme-slash/refresh', { method: 'POST' });
  assert.equal(unreachable.status, 502);
});

test('admin idp create, list, update, rule add and delete work from the CLI with the admin listener off', async (t) => {
  const dir = repoTempDir(t, 'idp-cli-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    imports: ["import { trustedIssuers } from 'authplane/plugins';"],
    plugins: ['trustedIssuers()'],
  });
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir, env: { AUTHPLANE_ADMIN_ENABLED: 'false' } });
  const created = await cli('admin', 'idp', 'create', '--name', 'cluster', '--issuer', 'https://k8s.example.com', '--workload', '--json');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).workload, true);
  const rule = await cli('admin', 'idp', 'rule', 'add', 'cluster', '--subject', 'system:serviceaccount:a:b', '--client-id', 'c1', '--json');
  assert.equal(rule.code, 0, rule.stderr);
  const rules = await cli('admin', 'idp', 'rule', 'list', 'cluster', '--json');
  assert.equal(JSON.parse(rules.stdout).rules[0].client_id, 'c1');
  const updated = await cli('admin', 'idp', 'update', 'cluster', '--disable', '--json');
  assert.equal(JSON.parse(updated.stdout).enabled, false);
  const table = await cli('admin', 'idp', 'list');
  assert.match(table.stdout, /cluster\s+https:\/\/k8s\.example\.com\s+false\s+true\s+auto_map/);
  const bad = await cli('admin', 'idp', 'create', '--name', 'clear', '--issuer', 'http://idp.example.com');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /issuer: must use https/);
  assert.equal((await cli('admin', 'idp', 'delete', 'cluster')).code, 0);
});

test('without allowPrivateAddresses the SSRF guard refuses to fetch an issuer on loopback: the grant is refused, refresh is a 502', async (t) => {
  const fx = await jwtServer(t, { allowPrivateAddresses: false });
  const idp = await startIssuer(t);
  const trusted = await fx.trust({ name: 'internal', issuer: idp.issuer });
  const client = await fx.createClient({ client_name: 'App', redirect_uris: [], grant_types: [JWT_BEARER], token_endpoint_auth_method: 'client_secret_basic', scope: 'tools/read' });
  assert.equal((await fx.admin('/admin/xaa/policies', { method: 'POST', body: JSON.stringify({ idp: 'internal' }) })).status, 201);
  const issuer = (await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json()).issuer as string;
  const assertion = await idp.sign({ sub: 'u', aud: issuer, client_id: client.client_id }, { typ: 'oauth-id-jag+jwt' });
  const response = await fx.post({ grant_type: JWT_BEARER, assertion }, { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` });
  assert.match(await expectError(response, 'invalid_grant'), /keys could not be fetched/);
  assert.equal(idp.jwksFetches, 0, 'nothing reached the loopback issuer');
  const refresh = await fx.admin(`/admin/idps/${trusted.id}/refresh`, { method: 'POST' });
  assert.equal(refresh.status, 502);
  assert.match((await refresh.json()).detail, /refused|private|loopback|address/i);
});
