import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getCode, redeem } from '../oauth/flow.js';
import { auditEvent, decodeJwt, introspect, machineServer, machineToken, RESOURCE_URI } from '../client-credentials/setup.js';

const jtiOf = (token: string) => decodeJwt(token).claims.jti as string;

test('issuances are listed by client, user, resource, jti and since, newest first and bounded by limit', async (t) => {
  const fx = await machineServer(t);
  const machine = await fx.createMachineClient();
  const a = jtiOf((await machineToken(fx.url, machine, { resource: RESOURCE_URI })).access_token);
  const b = jtiOf((await machineToken(fx.url, machine)).access_token);
  const c = jtiOf((await machineToken(fx.url, machine, { resource: 'example-mcp', scope: 'tools/write' })).access_token);
  const { code, verifier } = await getCode(fx, { scope: 'tools/read' });
  const user = jtiOf((await (await redeem(fx, code, verifier)).json()).access_token);

  const list = async (query: string) => {
    const response = await fx.admin(`/admin/issuances?${query}`);
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    return (body.issuances as { jti: string }[]).map((i) => i.jti);
  };
  assert.deepEqual(await list(`client=${machine.client_id}`), [c, b, a], 'newest first');
  assert.deepEqual(await list(`resource=${encodeURIComponent(RESOURCE_URI)}`), [user, c, a]);
  assert.deepEqual(await list(`resource=${encodeURIComponent(fx.server.config.server.issuer)}`), [b]);
  assert.deepEqual(await list(`user=${fx.userId}`), [user]);
  assert.deepEqual(await list(`jti=${b}`), [b]);
  assert.deepEqual(await list(`client=${machine.client_id}&limit=1`), [c]);
  assert.deepEqual(await list(`client=${machine.client_id}&resource=${encodeURIComponent(RESOURCE_URI)}`), [c, a], 'filters combine');
  assert.deepEqual(await list(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`), []);
  assert.equal((await list('since=2000-01-01T00:00:00Z')).length, 4);
  assert.deepEqual(await list('resource=https%3A%2F%2Fmcp.example.com%2F%25'), [], 'a % in the filter is not a wildcard');

  const one = await (await fx.admin(`/admin/issuances?jti=${c}`)).json();
  const view = one.issuances[0];
  assert.equal(view.id, c);
  assert.equal(view.subject, machine.client_id);
  assert.equal(view.client_id, machine.client_id);
  assert.deepEqual(view.audience, [RESOURCE_URI]);
  assert.equal(view.scope, 'tools/write');
  assert.equal(view.grant_type, 'client_credentials');
  assert.equal(view.status, 'active');
  assert.equal(view.revoked_at, null);
  assert.equal(Date.parse(view.expires_at) - Date.parse(view.issued_at), 3_600_000);
});

test('a list with an unknown or repeated parameter, a bad since or an out-of-range limit is a 400 problem; without a filter it pages every token', async (t) => {
  const fx = await machineServer(t);
  for (const query of ['client=a&limit=1001', 'client=a&limit=0', 'client=a&limit=ten', 'since=yesterday', 'since=2025-02-30T00:00:00Z', 'clientt=a', 'client=a&client=b', 'user=']) {
    const response = await fx.admin(`/admin/issuances?${query}`);
    assert.equal(response.status, 400, query);
    assert.equal(response.headers.get('content-type'), 'application/problem+json', query);
    const problem = await response.json();
    assert.equal(problem.status, 400);
    assert.ok(problem.detail.length > 0);
  }
  assert.deepEqual(await (await fx.admin('/admin/issuances?limit=10')).json(), { issuances: [], next: null }, 'no filter: every token, a page at a time');
  assert.equal((await fx.admin('/admin/issuances?client=x&limit=1000')).status, 200, '1000 is allowed');
  assert.equal((await fetch(`${fx.adminUrl}/admin/issuances?client=x`)).status, 401, 'the admin key is required');
});

test('one issuance is read by jti; DELETE revokes it, is idempotent and unknown jtis are 404', async (t) => {
  const fx = await machineServer(t);
  const machine = await fx.createMachineClient();
  const token = (await machineToken(fx.url, machine, { resource: RESOURCE_URI })).access_token;
  const jti = jtiOf(token);

  const got = await fx.admin(`/admin/issuances/${jti}`);
  assert.equal(got.status, 200);
  assert.equal((await got.json()).jti, jti);
  assert.equal((await fx.admin('/admin/issuances/nope')).status, 404);

  const first = await fx.admin(`/admin/issuances/${jti}`, { method: 'DELETE' });
  assert.equal(first.status, 204);
  const second = await fx.admin(`/admin/issuances/${jti}`, { method: 'DELETE' });
  assert.equal(second.status, 204, 'revoking twice is 204 again');
  assert.equal((await fx.admin('/admin/issuances/nope', { method: 'DELETE' })).status, 404);

  const revoked = await (await fx.admin(`/admin/issuances/${jti}`)).json();
  assert.equal(revoked.status, 'revoked');
  assert.ok(revoked.revoked_at);
  assert.deepEqual(await introspect(fx.url, machine, token), { active: false }, 'the token is dead at once');

  const event = await auditEvent(fx, 'token_revoked', (e) => e.detail.jti === jti);
  assert.equal(event.detail.reason, 'admin');
  assert.equal(event.actor_id, 'admin-api');
  const events = (await (await fx.admin('/admin/audit?action=token_revoked')).json()).events;
  assert.equal(events.length, 1, 'only the first revocation is audited');
  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_tokens_revoked_total\{reason="admin"\} 1/);
});
