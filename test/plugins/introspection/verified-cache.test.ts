/**
 * The kernel remembers access tokens whose signature checked out (kernel/token/verified-tokens.ts), so a resource
 * server introspecting the same token again costs no second ECDSA verification. What must not be remembered:
 * expiry, revocation, and anything about a token string that differs from the verified one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definePlugin } from 'authplane';
import { clients, introspection, resources, revocation } from 'authplane/plugins';
import { TEST_GRANT, testGrant } from '../../fixtures/plugins/test-grant.js';
import { startServer, type TestServer } from '../../helpers/server.js';

const SHORT_GRANT = 'urn:test:short-lived';

/** Like the test grant, but its tokens live one second. */
const shortGrant = definePlugin({
  name: 'short-grant',
  register(api) {
    api.registries.grantTypes.register(SHORT_GRANT, {
      async handle(ctx) {
        const issued = await api.runtime().tokens.issueAccessToken({
          subject: ctx.client.client_id,
          clientId: ctx.client.client_id,
          audience: ['https://mcp.example.com/mcp'],
          scope: ctx.client.scope ?? '',
          ttl: 1,
          grantType: SHORT_GRANT,
          tokenContext: ctx,
        });
        return { access_token: issued.token, token_type: 'Bearer', expires_in: 1 };
      },
    });
  },
});

async function setup(t: Parameters<typeof startServer>[0]) {
  const srv = await startServer(t, { plugins: [clients(), resources(), introspection(), revocation(), testGrant(), shortGrant()] });
  const response = await srv.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({
      client_name: 'Backend',
      redirect_uris: [],
      grant_types: [TEST_GRANT, SHORT_GRANT],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'files:read',
    }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  const { client_id, client_secret } = (await response.json()) as { client_id: string; client_secret: string };
  const authorization = `Basic ${Buffer.from(`${encodeURIComponent(client_id)}:${encodeURIComponent(client_secret)}`).toString('base64')}`;
  const form = async (path: string, body: Record<string, string>) => {
    const res = await fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
      body: new URLSearchParams(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const token = async (grant: string) => {
    const res = await form('/oauth/token', { grant_type: grant });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return String(res.json.access_token);
  };
  const active = async (value: string) => {
    const res = await form('/oauth/introspect', { token: value });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.active === true;
  };
  return { srv: srv as TestServer, form, token, active };
}

test('a token introspected once turns inactive when it expires, and when it is revoked', async (t) => {
  const { form, token, active } = await setup(t);
  const short = await token(SHORT_GRANT);
  assert.equal(await active(short), true, 'verified, and now remembered');
  await new Promise((r) => setTimeout(r, 2100));
  assert.equal(await active(short), false, 'expired although its signature is remembered');

  const long = await token(TEST_GRANT);
  assert.equal(await active(long), true);
  assert.equal((await form('/oauth/revoke', { token: long })).status, 200);
  assert.equal(await active(long), false, 'revoked although its signature is remembered');
});

test('a remembered signature vouches for its own token string only', async (t) => {
  const { token, active } = await setup(t);
  const genuine = await token(TEST_GRANT);
  assert.equal(await active(genuine), true);
  const [header, payload, signature] = genuine.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${signature}`;
  assert.equal(await active(forged), false, 'the same signature on other claims');
  assert.equal(await active(`${genuine}x`), false, 'a changed signature');
  assert.equal(await active(genuine), true, 'the genuine token is still active');
});
