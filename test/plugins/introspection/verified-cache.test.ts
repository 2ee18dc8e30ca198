/**
 * The kernel remembers access tokens whose signature checked out (kernel/token/verified-tokens.ts), so a resource
 * server introspecting the same token again costs no second ECDSA verification. What must not be remembered:
 * expiry, revocation, and anything about a token string that differs from the verified one. Expiry is reached by
 * moving the server's clock on (test/helpers/clock.ts), never by waiting: a loaded machine can take longer than a
 * short lifetime between issuing a token and introspecting it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineGrant, definePlugin, type TokenInfo } from 'authplane';
import { clients, introspection, resources, revocation } from 'authplane/plugins';
import { TEST_GRANT, testGrant } from '../../fixtures/plugins/test-grant.js';
import { testClock, type TestClock } from '../../helpers/clock.js';
import { startServer, type TestServer } from '../../helpers/server.js';

const SHORT_GRANT = 'urn:test:short-lived';
const SHORT_TTL = 60;
/** Answered by the `sloppyTap` below, which forgets to check expiry. */
const SLOPPY_TOKEN = 'sloppy-opaque-token';

/** Like the test grant (300 s), but its tokens live a minute. */
const shortGrant = definePlugin({
  name: 'short-grant',
  register(api) {
    api.registries.grantTypes.register(
      SHORT_GRANT,
      defineGrant({
        tokenTtl: SHORT_TTL,
        async handle(ctx) {
          const scope = ctx.client.scope ?? '';
          return { accessToken: await ctx.issueAccessToken({ subject: ctx.client.client_id, audience: ['https://mcp.example.com/mcp'], scope }) };
        },
      }),
    );
  },
});

/** An `introspectToken` tap that reports one opaque token active for a minute from the clock it was handed, and never checks `exp` itself. */
const sloppyTap = (clock: TestClock, clientId: () => string) =>
  definePlugin({
    name: 'sloppy-tap',
    register(api) {
      const exp = Math.floor(clock.now() / 1000) + SHORT_TTL;
      api.hooks.introspectToken.tapPromise(api.name, async (token) =>
        token === SLOPPY_TOKEN ? ({ active: true, client_id: clientId(), exp, token_type: 'Bearer' } as TokenInfo) : undefined,
      );
    },
  });

async function setup(t: Parameters<typeof startServer>[0]) {
  const clock = testClock();
  let clientId = '';
  const srv = await startServer(t, {
    now: clock.now,
    plugins: [clients(), resources(), introspection(), revocation(), testGrant(), shortGrant(), sloppyTap(clock, () => clientId)()],
  });
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
  clientId = client_id;
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
  return { srv: srv as TestServer, clock, form, token, active };
}

test('a token introspected once turns inactive when it expires, and when it is revoked', async (t) => {
  const { srv, clock, form, token, active } = await setup(t);
  const short = await token(SHORT_GRANT);
  const unseen = await token(SHORT_GRANT);
  assert.equal(await active(short), true, 'verified, and now remembered');
  clock.advance((SHORT_TTL + 1) * 1000);
  // The issuer itself, not only the endpoint's second look at `exp`, must go by the server's clock.
  const issuer = srv.server.runtimeApi().tokens;
  assert.equal(issuer.verifyAccessToken(short), undefined, 'the remembered signature no longer vouches for an expired token');
  assert.equal(issuer.verifyAccessToken(unseen), undefined, 'an expired token is refused at its first verification too');
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

test('introspection reports a token inactive once the server clock passes its exp, even when a tap forgets to check', async (t) => {
  const { clock, active } = await setup(t);
  assert.equal(await active(SLOPPY_TOKEN), true, 'within its minute');
  clock.advance((SHORT_TTL + 1) * 1000);
  assert.equal(await active(SLOPPY_TOKEN), false, 'past exp by the server clock');
});
