/**
 * `GET /connections` and `DELETE /connections/{provider}`: the signed-in user's connected accounts as JSON (never
 * a token), and disconnecting one only from this server's own origin.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testClock } from '../../helpers/clock.js';
import { auditEvents, connect, connectFixture, cookieHeader, grantRows, openGrant, signedIn } from './connect-setup.js';

test("GET /connections lists the signed-in user's grants without tokens; without a session it is a 401 problem", async (t) => {
  const clock = testClock();
  const fx = await connectFixture(t, { now: clock.now });
  const anonymous = await fetch(`${fx.url}/connections`, { redirect: 'manual' });
  assert.equal(anonymous.status, 401, 'an API route: no login redirect');
  assert.equal(anonymous.headers.get('content-type'), 'application/problem+json');
  assert.equal((await anonymous.json()).title, 'Unauthorized');

  const ada = await signedIn(fx, 'ada');
  const bob = await signedIn(fx, 'bob');
  const list = async (browser: typeof ada) => {
    const response = await fetch(`${fx.url}/connections`, { headers: { cookie: cookieHeader(browser) } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    return { text: await response.clone().text(), body: await response.json() };
  };
  assert.deepEqual((await list(ada)).body, { connections: [] });

  await connect(fx, ada);
  const [row] = await grantRows(fx);
  const tokens = await openGrant(row!);
  const { text, body } = await list(ada);
  assert.equal(body.connections.length, 1);
  const [connection] = body.connections;
  assert.deepEqual(Object.keys(connection).sort(), [
    'access_token_expires_at', 'access_token_valid', 'created_at', 'display_name', 'has_refresh_token', 'provider', 'scopes', 'updated_at', 'version',
  ]);
  assert.equal(connection.provider, 'oidc');
  assert.equal(connection.display_name, 'Acme ID');
  assert.deepEqual([...connection.scopes].sort(), ['offline_access', 'openid', 'profile']);
  assert.equal(connection.version, 1);
  assert.equal(connection.has_refresh_token, true);
  assert.equal(connection.access_token_valid, true);
  assert.equal(connection.access_token_expires_at, new Date(tokens.expires_at!).toISOString());
  for (const secret of [tokens.access_token, tokens.refresh_token!, row!.ciphertext]) assert.ok(!text.includes(secret));
  assert.deepEqual((await list(bob)).body, { connections: [] }, "another user sees none of Ada's");

  // Past the upstream access token's hour: still connected (a refresh token), but the access token is stale.
  clock.advance(3601 * 1000);
  const later = (await list(ada)).body.connections[0];
  assert.equal(later.access_token_valid, false);
  assert.equal(later.has_refresh_token, true);
});

test('DELETE /connections/{provider} disconnects only from the same origin, audits it with the user as actor, and is 404 when there is nothing', async (t) => {
  const fx = await connectFixture(t);
  const ada = await signedIn(fx, 'ada');
  await connect(fx, ada);
  const remove = (headers: Record<string, string>, provider = 'oidc') =>
    fetch(`${fx.url}/connections/${provider}`, { method: 'DELETE', headers: { cookie: cookieHeader(ada), ...headers } });

  const crossSite: Record<string, string>[] = [
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'cross-site', origin: fx.url },
    { origin: 'https://evil.example' },
    { origin: 'null' },
    {},
  ];
  for (const headers of crossSite) {
    const refused = await remove(headers);
    assert.equal(refused.status, 403, JSON.stringify(headers));
    assert.match((await refused.json()).detail, /cross-site request refused/);
  }
  assert.equal((await grantRows(fx)).length, 1, 'still connected');

  const noSession = await fetch(`${fx.url}/connections/oidc`, { method: 'DELETE', headers: { 'sec-fetch-site': 'same-origin' } });
  assert.equal(noSession.status, 401);

  const removed = await remove({ 'sec-fetch-site': 'same-origin' });
  assert.equal(removed.status, 204);
  assert.deepEqual(await grantRows(fx), []);
  const again = await remove({ origin: fx.url });
  assert.equal(again.status, 404, 'an Origin of this server is accepted too; there is nothing left');
  assert.equal((await remove({ origin: fx.url }, 'nope')).status, 404);

  const [revoked] = await auditEvents(fx, { action: 'broker_grant_revoked' });
  assert.equal(revoked!.actor_id, fx.userIds.ada);
  assert.equal(revoked!.user_id, fx.userIds.ada);
  assert.equal(revoked!.detail.provider, 'oidc');
  assert.equal(revoked!.detail.reason, 'user');
  assert.equal(revoked!.detail.version, 1);

  // A request the user typed (Sec-Fetch-Site: none) is theirs too; connect again and remove it that way.
  await connect(fx, ada);
  assert.equal((await remove({ 'sec-fetch-site': 'none' })).status, 204);
});
