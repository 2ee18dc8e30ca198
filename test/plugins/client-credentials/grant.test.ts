import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuthPlane } from 'authplane';
import { clientCredentials, keystoreKeyfile, resources, storageSqlite } from 'authplane/plugins';
import { tempDir } from '../../helpers/server.js';
import { machineTokenScenario } from './scenario.js';
import { decodeJwt, machineServer, machineToken, postForm, requestMachineToken, RESOURCE_URI } from './setup.js';

test('a confidential client gets a one-hour machine token for a resource, recorded by jti before the response', async (t) => {
  await machineTokenScenario(t, 'sqlite');
});

test('an omitted scope grants the ceiling; without resource the audience is the issuer; a slug names a resource', async (t) => {
  const fx = await machineServer(t);
  const client = await fx.createMachineClient({
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'tools/read tools/write reports/read',
  });
  const post = (params: Record<string, string>) =>
    postForm(fx.url, '/oauth/token', { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, ...params });

  const plain = await (await post({})).json();
  assert.equal(plain.scope, 'tools/read tools/write reports/read', 'the whole ceiling');
  const claims = decodeJwt(plain.access_token).claims;
  assert.deepEqual(claims.aud, [fx.server.config.server.issuer], 'no resource: the token is for the issuer');
  assert.equal(claims.scope, 'tools/read tools/write reports/read');

  const forResource = await (await post({ resource: RESOURCE_URI })).json();
  assert.equal(forResource.scope, 'tools/read tools/write', 'the ceiling narrowed to what the resource offers');
  assert.deepEqual(decodeJwt(forResource.access_token).claims.aud, [RESOURCE_URI]);

  const bySlug = await (await post({ resource: 'example-mcp', scope: 'tools/write' })).json();
  assert.deepEqual(decodeJwt(bySlug.access_token).claims.aud, [RESOURCE_URI]);
  assert.equal(bySlug.scope, 'tools/write');

  const withOffline = await (await post({ scope: 'tools/read offline_access' })).json();
  assert.equal(withOffline.scope, 'tools/read', 'offline_access is dropped: there is never a refresh token');
  assert.equal(withOffline.refresh_token, undefined);
});

test('every refusal answers the spec error and records no token', async (t) => {
  const fx = await machineServer(t);
  const good = await fx.createMachineClient();
  const noGrant = await fx.createClient({
    client_name: 'Code only',
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const noCeiling = await fx.createMachineClient({ scope: '' });
  const selfRegistered = await fx.createMachineClient();
  await fx.server.db('clients').where({ client_id: selfRegistered.client_id }).update({ registration_source: 'dcr' });
  // The admin API refuses client_credentials for a public client, so make one the way a bad migration could.
  await fx.server
    .db('clients')
    .where({ client_id: fx.clientId })
    .update({ grant_types: JSON.stringify(['authorization_code', 'refresh_token', 'client_credentials']) });
  const before = await fx.server.db('token_issuances').count({ n: '*' });

  const expect = async (response: Promise<Response>, status: number, error: string, description?: RegExp) => {
    const res = await response;
    const body = await res.json();
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(body.error, error, JSON.stringify(body));
    if (description) assert.match(body.error_description, description);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return res;
  };

  await expect(requestMachineToken(fx.url, { client_id: fx.clientId }), 400, 'unauthorized_client', /confidential client/);
  await expect(requestMachineToken(fx.url, noGrant), 400, 'unauthorized_client', /client_credentials/);
  const wrong = await expect(requestMachineToken(fx.url, { ...good, client_secret: 'not-the-secret' }), 401, 'invalid_client');
  assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic /);
  await expect(requestMachineToken(fx.url, { client_id: 'ap_nobody', client_secret: 'x' }), 401, 'invalid_client');
  await expect(requestMachineToken(fx.url, noCeiling), 400, 'invalid_scope', /no scope ceiling/);
  await expect(requestMachineToken(fx.url, selfRegistered), 400, 'invalid_scope', /registered through dcr/);
  await expect(requestMachineToken(fx.url, good, { scope: 'tools/read tools/admin' }), 400, 'invalid_scope', /tools\/admin/);
  await expect(requestMachineToken(fx.url, good, { scope: 'tools/"read' }), 400, 'invalid_scope', /invalid characters/);
  await expect(requestMachineToken(fx.url, good, { resource: 'https://unknown.example.com/mcp' }), 400, 'invalid_target');
  await expect(requestMachineToken(fx.url, good, { resource: 'not a uri' }), 400, 'invalid_target');

  // In the ceiling but not offered by the resource named.
  const wide = await fx.createMachineClient({ scope: 'tools/read reports/read' });
  await expect(requestMachineToken(fx.url, wide, { resource: RESOURCE_URI, scope: 'reports/read' }), 400, 'invalid_scope', /not offered by the resource/);
  const outside = await fx.createMachineClient({ scope: 'reports/read' });
  await expect(requestMachineToken(fx.url, outside, { resource: RESOURCE_URI }), 400, 'invalid_scope', /offered by the resource/);

  const after = await fx.server.db('token_issuances').count({ n: '*' });
  assert.deepEqual(after, before, 'no refused request wrote an issuance row');
  // And the good client still works after all that.
  await machineToken(fx.url, good);
});

test('tokenTtl sets the lifetime and may not exceed signing.retiredKeyRetention', async (t) => {
  const fx = await machineServer(t, { env: { AUTHPLANE_CLIENT_CREDENTIALS_TOKEN_TTL: '120' } });
  const body = await machineToken(fx.url, await fx.createMachineClient());
  assert.equal(body.expires_in, 120);
  const { claims } = decodeJwt(body.access_token);
  assert.equal((claims.exp as number) - (claims.iat as number), 120);

  const dir = tempDir(t);
  assert.throws(
    () =>
      new AuthPlane(
        {
          signing: { keyPath: join(dir, 'keys'), retiredKeyRetention: 3600 },
          storage: { sqlite: { path: join(dir, 'a.db') } },
          plugins: [storageSqlite(), keystoreKeyfile(), resources(), clientCredentials({ tokenTtl: 7200 })],
        },
        { env: {} },
      ),
    (err: Error & { code?: string }) =>
      err.code === 'AP_ERR_GRANT_TTL_TOO_LONG' &&
      /grant type 'client_credentials' of plugin 'client-credentials' has tokenTtl 7200s, longer than signing.retiredKeyRetention \(3600s\)/.test(err.message),
  );
});
