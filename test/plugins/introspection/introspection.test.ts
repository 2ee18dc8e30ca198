import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getCode, redeem } from '../oauth/flow.js';
import {
  decodeJwt,
  introspect,
  machineServer,
  machineToken,
  postForm,
  RESOURCE_URI,
  type MachineFixture,
} from '../client-credentials/setup.js';

const INACTIVE = { active: false };

/** A machine client, the resource's runtime client (listed in its policy) and an unrelated stranger. */
async function parties(fx: MachineFixture) {
  const machine = await fx.createMachineClient();
  const runtime = await fx.createMachineClient({ client_name: 'The MCP server itself' });
  const stranger = await fx.createMachineClient({ client_name: 'Stranger' });
  const patch = await fx.admin(`/admin/resources/${fx.resourceId}`, {
    method: 'PATCH',
    body: JSON.stringify({ policy: { runtime: { client_ids: [runtime.client_id] } } }),
  });
  assert.equal(patch.status, 200, await patch.text());
  return { machine, runtime, stranger };
}

async function userTokens(fx: MachineFixture) {
  const { code, verifier } = await getCode(fx, { scope: 'tools/read offline_access' });
  const response = await redeem(fx, code, verifier);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.ok(body.refresh_token, 'the public test client may refresh');
  return body as { access_token: string; refresh_token: string };
}

test('a machine token is active for its own client and the resource runtime client, and inactive for a stranger', async (t) => {
  const fx = await machineServer(t);
  const { machine, runtime, stranger } = await parties(fx);
  const token = (await machineToken(fx.url, machine, { resource: RESOURCE_URI })).access_token;
  const claims = decodeJwt(token).claims;

  const own = await introspect(fx.url, machine, token);
  assert.deepEqual(own, {
    active: true,
    scope: 'tools/read tools/write',
    client_id: machine.client_id,
    sub: machine.client_id,
    aud: [RESOURCE_URI],
    iss: fx.server.config.server.issuer,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: 'Bearer',
  });
  assert.deepEqual(await introspect(fx.url, runtime, token, 'access_token'), own, 'the resource runtime client sees it too');
  assert.deepEqual(await introspect(fx.url, stranger, token), INACTIVE, 'a stranger learns nothing');

  // Without a resource the token is for the issuer: no resource policy applies, only its own client sees it.
  const issuerToken = (await machineToken(fx.url, machine)).access_token;
  assert.equal((await introspect(fx.url, machine, issuerToken)).active, true);
  assert.deepEqual(await introspect(fx.url, runtime, issuerToken), INACTIVE);
});

test('user access and refresh tokens are active for the resource runtime client and inactive for a stranger', async (t) => {
  const fx = await machineServer(t);
  const { runtime, stranger } = await parties(fx);
  const tokens = await userTokens(fx);

  const access = await introspect(fx.url, runtime, tokens.access_token);
  assert.equal(access.active, true);
  assert.equal(access.token_type, 'Bearer');
  assert.equal(access.client_id, fx.clientId);
  assert.equal(access.sub, fx.userId);
  assert.deepEqual(access.aud, [RESOURCE_URI]);
  assert.equal(access.scope, 'tools/read');
  for (const member of ['iss', 'exp', 'iat', 'jti']) assert.ok(access[member] !== undefined, member);

  const refresh = await introspect(fx.url, runtime, tokens.refresh_token, 'refresh_token');
  assert.equal(refresh.active, true);
  assert.equal(refresh.token_type, 'refresh_token');
  assert.equal(refresh.client_id, fx.clientId);
  assert.equal(refresh.sub, fx.userId);
  assert.deepEqual(refresh.aud, [RESOURCE_URI]);
  // A wrong hint is only a hint (RFC 7662 §2.1): the token is still found.
  assert.equal((await introspect(fx.url, runtime, tokens.refresh_token, 'access_token')).active, true);

  assert.deepEqual(await introspect(fx.url, stranger, tokens.access_token), INACTIVE);
  assert.deepEqual(await introspect(fx.url, stranger, tokens.refresh_token), INACTIVE);
});

test('tampered, unknown, expired and foreign tokens are inactive', async (t) => {
  const fx = await machineServer(t);
  const machine = await fx.createMachineClient();
  const token = (await machineToken(fx.url, machine, { resource: RESOURCE_URI })).access_token;
  const [header, payload, signature] = token.split('.') as [string, string, string];

  const flipped = `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
  assert.deepEqual(await introspect(fx.url, machine, flipped), INACTIVE, 'a changed signature');
  // Other spellings of the same signature bytes: unused low bits set in the last character, a character outside
  // the alphabet (node's decoder would skip it). Each decodes to the genuine signature, so only the spelling fails.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet[alphabet.indexOf(signature.at(-1)!) | 1]!;
  for (const respelled of [`${signature.slice(0, -1)}${last}`, `${signature.slice(0, 20)}!${signature.slice(20)}`]) {
    assert.ok(Buffer.from(respelled, 'base64url').equals(Buffer.from(signature, 'base64url')));
    assert.deepEqual(await introspect(fx.url, machine, `${header}.${payload}.${respelled}`), INACTIVE, `signature spelled ${respelled}`);
  }
  const claims = decodeJwt(token).claims;
  const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'tools/read tools/write tools/admin' })).toString('base64url');
  assert.deepEqual(await introspect(fx.url, machine, `${header}.${widened}.${signature}`), INACTIVE, 'a changed payload');
  assert.deepEqual(await introspect(fx.url, machine, 'not-a-token'), INACTIVE);
  assert.deepEqual(await introspect(fx.url, machine, 'A'.repeat(43), 'refresh_token'), INACTIVE, 'an unknown refresh token');

  // Signed with the server's own key, so only the claims make them inactive.
  const now = Math.floor(Date.now() / 1000);
  const sign = async (extra: Record<string, unknown>) => fx.server.keys.sign({ typ: 'at+jwt' }, { ...claims, ...extra });
  assert.deepEqual(await introspect(fx.url, machine, await sign({ iat: now - 7200, exp: now - 10 })), INACTIVE, 'an expired token');
  assert.deepEqual(await introspect(fx.url, machine, await sign({ iss: 'https://elsewhere.example.com' })), INACTIVE, 'another issuer');
  assert.equal((await introspect(fx.url, machine, await sign({}))).active, true, 'the same claims re-signed are active (the check above is meaningful)');
});

test('public clients, bad credentials and a missing token are refused, and answers are never cached', async (t) => {
  const fx = await machineServer(t);
  const machine = await fx.createMachineClient();
  const token = (await machineToken(fx.url, machine)).access_token;

  const publicCaller = await postForm(fx.url, '/oauth/introspect', { token }, { client_id: fx.clientId });
  assert.equal(publicCaller.status, 401);
  assert.equal((await publicCaller.json()).error, 'invalid_client');

  const wrongSecret = await postForm(fx.url, '/oauth/introspect', { token }, { ...machine, client_secret: 'wrong' });
  assert.equal(wrongSecret.status, 401);
  assert.equal((await wrongSecret.json()).error, 'invalid_client');
  assert.match(wrongSecret.headers.get('www-authenticate') ?? '', /^Basic /);

  const anonymous = await postForm(fx.url, '/oauth/introspect', { token });
  assert.equal(anonymous.status, 401);

  const missing = await postForm(fx.url, '/oauth/introspect', {}, machine);
  assert.equal(missing.status, 400);
  assert.equal((await missing.json()).error, 'invalid_request');

  const ok = await postForm(fx.url, '/oauth/introspect', { token }, machine);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  assert.equal((await ok.json()).active, true);
  const inactive = await postForm(fx.url, '/oauth/introspect', { token: 'nope' }, machine);
  assert.equal(inactive.headers.get('cache-control'), 'no-store');

  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_introspections_total\{result="active"\} 1/);
  assert.match(metrics, /authserver_introspections_total\{result="inactive"\} 1/);
});

test('discovery advertises the introspection endpoint and its confidential auth methods', async (t) => {
  const fx = await machineServer(t);
  const doc = await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json();
  assert.equal(doc.introspection_endpoint, `${fx.server.config.server.issuer}/oauth/introspect`);
  assert.deepEqual([...doc.introspection_endpoint_auth_methods_supported].sort(), ['client_secret_basic', 'client_secret_post']);
});
