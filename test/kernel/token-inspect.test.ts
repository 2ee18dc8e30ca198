/**
 * `POST /admin/keys/inspect` over real HTTP with real tokens: a good token passes every check; a wrong audience,
 * another issuer's key, an altered payload, an expired or revoked token each fail the one check that says why.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { issuances } from 'authplane/plugins';
import { testClock } from '../helpers/clock.js';
import { getCode, redeem } from '../plugins/oauth/flow.js';
import { RESOURCE_URI, oauthServer } from '../plugins/oauth/setup.js';

interface Check { check: string; ok: boolean | null; detail: string }
interface Inspected { valid: boolean; header: Record<string, unknown>; payload: Record<string, unknown>; checks: Check[]; now: string }

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('the token inspector says which check fails and why', async (t) => {
  const clock = testClock();
  const fx = await oauthServer(t, { extra: [issuances()], now: clock.now });
  const { code, verifier } = await getCode(fx);
  const tokens = (await (await redeem(fx, code, verifier)).json()) as { access_token: string };
  const inspect = async (body: unknown) => {
    const response = await fx.admin('/admin/keys/inspect', { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Inspected & { errors?: { field: string }[] } };
  };
  const check = (r: Inspected, name: string) => r.checks.find((c) => c.check === name)!;

  const good = await inspect({ token: tokens.access_token, audience: RESOURCE_URI });
  assert.equal(good.status, 200);
  assert.equal(good.body.valid, true, JSON.stringify(good.body.checks));
  assert.equal(good.body.header.alg, 'ES256');
  assert.deepEqual(good.body.payload.aud, [RESOURCE_URI]);
  for (const name of ['format', 'kid', 'alg', 'signature', 'iss', 'aud', 'exp', 'revoked']) assert.equal(check(good.body, name).ok, true, name);

  const wrongAud = await inspect({ token: tokens.access_token, audience: 'https://other.example.com/mcp' });
  assert.equal(wrongAud.body.valid, false);
  assert.equal(check(wrongAud.body, 'aud').ok, false);
  assert.match(check(wrongAud.body, 'aud').detail, /does not contain the expected resource https:\/\/other\.example\.com\/mcp/);
  assert.equal(check(wrongAud.body, 'signature').ok, true, 'only the audience is wrong');

  const [h, p, s] = tokens.access_token.split('.') as [string, string, string];
  const altered = await inspect({ token: `${h}.${b64({ ...good.body.payload, scope: 'tools/write' })}.${s}` });
  assert.equal(check(altered.body, 'signature').ok, false);
  assert.match(check(altered.body, 'signature').detail, /does not verify/);

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const foreignHeader = b64({ alg: 'ES256', kid: 'someone-else', typ: 'at+jwt' });
  const foreignPayload = b64({ ...good.body.payload, iss: 'https://evil.example.com' });
  const foreignSig = sign('sha256', Buffer.from(`${foreignHeader}.${foreignPayload}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const foreign = await inspect({ token: `${foreignHeader}.${foreignPayload}.${foreignSig}` });
  assert.match(check(foreign.body, 'kid').detail, /kid someone-else is not in this server's key ring/);
  assert.equal(check(foreign.body, 'signature').ok, null);
  assert.match(check(foreign.body, 'iss').detail, /not this server's issuer/);

  const none = await inspect({ token: `${b64({ alg: 'none' })}.${p}.` });
  assert.match(check(none.body, 'alg').detail, /only ES256.*unsigned/);

  const jti = String(good.body.payload.jti);
  assert.equal((await fx.admin(`/admin/issuances/${jti}`, { method: 'DELETE' })).status, 204);
  const revoked = await inspect({ token: tokens.access_token });
  assert.equal(check(revoked.body, 'revoked').ok, false);
  assert.equal(check(revoked.body, 'aud').ok, null, 'no expected audience: not compared');

  clock.advance(2 * 3600_000);
  const expired = await inspect({ token: tokens.access_token });
  assert.equal(check(expired.body, 'exp').ok, false);
  assert.match(check(expired.body, 'exp').detail, /expired at .* before the server's clock/);
  assert.ok(Date.parse(expired.body.now) >= (Number(good.body.payload.iat) + 7200) * 1000, 'the server clock, not the wall clock');

  const garbage = await inspect({ token: 'not-a-jwt' });
  assert.equal(garbage.status, 200);
  assert.match(check(garbage.body, 'format').detail, /three dot-separated parts, this has 1/);
  const empty = await inspect({ token: '' });
  assert.equal(empty.status, 400);
  assert.equal(empty.body.errors?.[0]?.field, 'token');
  const extra = await inspect({ token: 'a.b.c', nope: 1 });
  assert.equal(extra.status, 400);
});
