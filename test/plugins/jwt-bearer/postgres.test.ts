/**
 * On PostgreSQL: the new tables (trusted_issuers, workload_rules, assertion_jtis, xaa_policies, xaa_subject_mappings)
 * through an ID-JAG grant with a mapped subject, a replay refused by the jti primary key under concurrency, a
 * workload client, and the `assertion_jti` purge target.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import knex from 'knex';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';
import { requirePostgres } from '../../helpers/postgres.js';
import { CLIENT_ASSERTION_TYPE, JWT_BEARER, jwtServer, RESOURCE_URI, startIssuer } from './setup.js';

test('on PostgreSQL an ID-JAG is redeemed once even when sent concurrently, mapped subjects and workload rules apply', async (t) => {
  if (!(await requirePostgres(t))) return;
  const fx = await jwtServer(t, { storage: 'postgres' });
  const idp = await startIssuer(t);
  const issuer = (await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json()).issuer as string;
  await fx.trust({ name: 'acme', issuer: idp.issuer, subject_mode: 'strict', workload: true });
  const client = await fx.createClient({ client_name: 'App', redirect_uris: [], grant_types: [JWT_BEARER], token_endpoint_auth_method: 'client_secret_basic', scope: 'tools/read' });
  assert.equal((await fx.admin('/admin/xaa/policies', { method: 'POST', body: JSON.stringify({ idp: 'acme', client_ids: [client.client_id] }) })).status, 201);
  assert.equal((await fx.admin('/admin/xaa/subject-mappings', { method: 'POST', body: JSON.stringify({ idp: 'acme', idp_subject: 'bob', subject: fx.userId }) })).status, 201);
  const assertion = await idp.sign({ sub: 'bob', aud: issuer, client_id: client.client_id, resource: RESOURCE_URI }, { typ: 'oauth-id-jag+jwt' });
  const basic = { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` };
  const responses = await Promise.all(Array.from({ length: 5 }, () => fx.post({ grant_type: JWT_BEARER, assertion }, basic)));
  const statuses = responses.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 400, 400, 400, 400]);
  const ok = await responses.find((r) => r.status === 200)!.json();
  assert.equal(decodeJwt(ok.access_token).sub, fx.userId);

  const machine = await fx.createClient({ client_name: 'Worker', redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'tools/read' });
  const idpId = ((await (await fx.admin('/admin/idps/acme')).json()) as { id: string }).id;
  assert.equal((await fx.admin(`/admin/idps/${idpId}/workload-rules`, { method: 'POST', body: JSON.stringify({ subject: 'ci:job', client_id: machine.client_id }) })).status, 201);
  const token = await idp.sign({ sub: 'ci:job', aud: issuer });
  const machineToken = await fx.post({ grant_type: 'client_credentials', client_id: machine.client_id, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: token });
  assert.equal(machineToken.status, 200, JSON.stringify(await machineToken.clone().json()));

  // The used jti is a row until it expires; `authserver purge --only assertion_jti` removes it after that.
  const db = knex({ client: 'pg', connection: fx.postgresDsn! });
  t.after(() => db.destroy());
  const [used] = (await db('assertion_jtis').select('id', 'expires_at')) as { id: string; expires_at: string }[];
  assert.equal((await db('assertion_jtis').count({ n: '*' }))[0]!.n, '1');
  // Keyed by the assertion's exp (seconds) ahead of the digest; as though it expired a minute ago:
  const [exp, digest] = used!.id.split(':');
  assert.equal(Number(exp) * 1000, Number(used!.expires_at));
  const past = Math.floor(Date.now() / 1000) - 60;
  await db('assertion_jtis').update({ id: `${past}:${digest}`, expires_at: past * 1000 });
  const dir = repoTempDir(t, 'jwt-purge-');
  const config = writeConfigFile(dir, {
    settings: { signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    imports: ["import { trustedIssuers } from 'authplane/plugins';"],
    plugins: ['trustedIssuers()'],
  });
  const env = { AUTHPLANE_ADMIN_ENABLED: 'false', AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: fx.postgresDsn! };
  const purged = await runCli(['purge', '--only', 'assertion_jti', '--config', config], { cwd: dir, env });
  assert.equal(purged.code, 0, purged.stderr);
  assert.equal(purged.stdout, 'assertion_jti: 1 deleted\n');

  // A NumericDate may carry a fraction (RFC 7519 §2): the used jti keeps whole milliseconds in its bigint column.
  const fractionalExp = Math.floor(Date.now() / 1000) + 120.1234567;
  const fractional = await idp.sign({ sub: 'bob', aud: issuer, client_id: client.client_id, resource: RESOURCE_URI, exp: fractionalExp }, { typ: 'oauth-id-jag+jwt' });
  const answer = await fx.post({ grant_type: JWT_BEARER, assertion: fractional }, basic);
  assert.equal(answer.status, 200, JSON.stringify(await answer.clone().json()));
  const row = (await db('assertion_jtis').first('id', 'expires_at')) as { id: string; expires_at: string };
  assert.equal(Number(row.expires_at), Math.ceil(fractionalExp * 1000));
  assert.match(row.id, new RegExp(`^${Math.floor(fractionalExp)}:[A-Za-z0-9_-]{43}$`));
});
