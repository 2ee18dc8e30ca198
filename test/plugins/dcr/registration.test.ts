import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dcrServer, PUBLIC_CLIENT } from './setup.js';

test('an open registration answers 201 with a client id, no-store and the registered metadata', async (t) => {
  const fx = await dcrServer(t);
  const before = Math.floor(Date.now() / 1000);
  const response = await fx.register({ ...PUBLIC_CLIENT, client_uri: 'https://client.example.com', software_id: 'test-mcp' });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.match(body.client_id, /^ap_/);
  assert.ok(body.client_id_issued_at >= before && body.client_id_issued_at <= Math.ceil(Date.now() / 1000));
  assert.equal(body.client_secret, undefined, 'a public client gets no secret');
  assert.equal(body.client_secret_expires_at, undefined);
  assert.deepEqual(
    { ...body, client_id: undefined, client_id_issued_at: undefined },
    {
      ...PUBLIC_CLIENT,
      client_id: undefined,
      client_id_issued_at: undefined,
      application_type: 'web',
      client_uri: 'https://client.example.com',
      software_id: 'test-mcp',
    },
  );
  const stored = await (await fx.admin(`/admin/clients/${body.client_id}`)).json();
  assert.equal(stored.registration_source, 'dcr');
  assert.equal(stored.scope, '');
});

test('a registration asking for dpop_bound_access_tokens (RFC 9449 §5.2) is stored so DPoP becomes mandatory', async (t) => {
  const fx = await dcrServer(t);
  const response = await fx.register({ ...PUBLIC_CLIENT, dpop_bound_access_tokens: true });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  assert.equal(body.dpop_bound_access_tokens, true);
  const stored = await (await fx.admin(`/admin/clients/${body.client_id}`)).json();
  assert.equal(stored.dpop_bound_access_tokens, true);
});
