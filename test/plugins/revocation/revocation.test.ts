import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getCode, redeem, refresh } from '../oauth/flow.js';
import {
  auditEvent,
  decodeJwt,
  introspect,
  machineServer,
  machineToken,
  postForm,
  revoke,
  RESOURCE_URI,
  type MachineFixture,
} from '../client-credentials/setup.js';

async function runtimeClient(fx: MachineFixture) {
  const runtime = await fx.createMachineClient({ client_name: 'The MCP server itself' });
  const patch = await fx.admin(`/admin/resources/${fx.resourceId}`, {
    method: 'PATCH',
    body: JSON.stringify({ policy: { runtime: { client_ids: [runtime.client_id] } } }),
  });
  assert.equal(patch.status, 200, await patch.text());
  return runtime;
}

async function userTokens(fx: MachineFixture) {
  const { code, verifier } = await getCode(fx, { scope: 'tools/read offline_access' });
  const response = await redeem(fx, code, verifier);
  assert.equal(response.status, 200);
  return (await response.json()) as { access_token: string; refresh_token: string };
}

test('revoking a machine token makes it inactive; revoking it again and unknown tokens answer 200', async (t) => {
  const fx = await machineServer(t);
  const machine = await fx.createMachineClient();
  const token = (await machineToken(fx.url, machine, { resource: RESOURCE_URI })).access_token;
  const jti = decodeJwt(token).claims.jti as string;
  assert.equal((await introspect(fx.url, machine, token)).active, true);

  const first = await revoke(fx.url, machine, token, 'access_token');
  assert.equal(first.status, 200);
  assert.equal(await first.text(), '');
  assert.equal(first.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await introspect(fx.url, machine, token), { active: false });
  const row = await fx.server.db('token_issuances').where({ jti }).first();
  assert.ok(row.revoked_at !== null, 'the issuance row records the revocation');
  assert.ok(await fx.server.db('token_denylist').where({ jti }).first(), 'the jti is denylisted');

  const event = await auditEvent(fx, 'token_revoked', (e) => e.detail.jti === jti);
  assert.equal(event.detail.reason, 'client_request');
  assert.equal(event.client_id, machine.client_id);
  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_tokens_revoked_total\{reason="client_request"\} 1/);

  assert.equal((await revoke(fx.url, machine, token)).status, 200, 'a second revocation is harmless');
  assert.equal((await revoke(fx.url, machine, 'never-issued')).status, 200, 'RFC 7009 §2.2: unknown tokens are 200');
  assert.equal((await revoke(fx.url, machine, 'B'.repeat(43), 'refresh_token')).status, 200);
});

test('a client cannot revoke a token issued to another client', async (t) => {
  const fx = await machineServer(t);
  const owner = await fx.createMachineClient();
  const other = await fx.createMachineClient({ client_name: 'Other' });
  const token = (await machineToken(fx.url, owner)).access_token;
  assert.equal((await revoke(fx.url, other, token)).status, 200, 'the answer reveals nothing');
  assert.equal((await introspect(fx.url, owner, token)).active, true, 'and the token still works');

  const user = await userTokens(fx);
  assert.equal((await revoke(fx.url, other, user.refresh_token)).status, 200);
  assert.equal((await refresh(fx, user.refresh_token)).status, 200, "another client's refresh token is untouched");
});

test("a public client revokes its user access token with its client_id; the token is then inactive", async (t) => {
  const fx = await machineServer(t);
  const runtime = await runtimeClient(fx);
  const user = await userTokens(fx);
  assert.equal((await introspect(fx.url, runtime, user.access_token)).active, true);
  const response = await revoke(fx.url, { client_id: fx.clientId }, user.access_token);
  assert.equal(response.status, 200);
  assert.deepEqual(await introspect(fx.url, runtime, user.access_token), { active: false });
});

test("revoking a refresh token revokes its family: refresh fails and the family's access tokens are denylisted", async (t) => {
  const fx = await machineServer(t);
  const runtime = await runtimeClient(fx);
  const first = await userTokens(fx);
  const rotated = await refresh(fx, first.refresh_token);
  assert.equal(rotated.status, 200);
  const second = (await rotated.json()) as { access_token: string; refresh_token: string };
  for (const token of [first.access_token, second.access_token, second.refresh_token]) {
    assert.equal((await introspect(fx.url, runtime, token)).active, true);
  }

  const response = await revoke(fx.url, { client_id: fx.clientId }, second.refresh_token, 'refresh_token');
  assert.equal(response.status, 200);

  const denied = await refresh(fx, second.refresh_token);
  assert.equal(denied.status, 400);
  assert.equal((await denied.json()).error, 'invalid_grant');
  assert.deepEqual(await introspect(fx.url, runtime, second.refresh_token), { active: false });
  assert.deepEqual(await introspect(fx.url, runtime, first.access_token), { active: false }, 'the first access token of the family');
  assert.deepEqual(await introspect(fx.url, runtime, second.access_token), { active: false }, 'the latest access token');
  const jtis = [first.access_token, second.access_token].map((token) => decodeJwt(token).claims.jti as string);
  assert.equal((await fx.server.db('token_denylist').whereIn('jti', jtis)).length, 2);
  const event = await auditEvent(fx, 'token_revoked', (e) => e.detail.token_type === 'refresh_token');
  assert.equal(event.detail.reason, 'client_request');
});

test('a missing token is 400 invalid_request and a bad client is 401 invalid_client', async (t) => {
  const fx = await machineServer(t);
  const machine = await fx.createMachineClient();
  const token = (await machineToken(fx.url, machine)).access_token;

  const missing = await postForm(fx.url, '/oauth/revoke', {}, machine);
  assert.equal(missing.status, 400);
  assert.equal((await missing.json()).error, 'invalid_request');

  const wrong = await revoke(fx.url, { ...machine, client_secret: 'wrong' }, token);
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json()).error, 'invalid_client');
  assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic /);
  const unknown = await revoke(fx.url, { client_id: 'ap_nobody' }, token);
  assert.equal(unknown.status, 401);
  const anonymous = await postForm(fx.url, '/oauth/revoke', { token });
  assert.equal(anonymous.status, 401);
  assert.equal((await introspect(fx.url, machine, token)).active, true, 'nothing was revoked by the refused requests');
});

test('discovery advertises the revocation endpoint with every client auth method, public ones included', async (t) => {
  const fx = await machineServer(t);
  const doc = await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json();
  assert.equal(doc.revocation_endpoint, `${fx.server.config.server.issuer}/oauth/revoke`);
  assert.deepEqual([...doc.revocation_endpoint_auth_methods_supported].sort(), ['client_secret_basic', 'client_secret_post', 'none']);
});
