import assert from 'node:assert/strict';
import test from 'node:test';
import { testClock } from '../../helpers/clock.js';
import { tokenRequest } from '../oauth/flow.js';
import { basicAuth } from '../client-credentials/setup.js';
import {
  ACCESS_TOKEN_TYPE,
  denial,
  exchange,
  exchangeServer,
  machineToken,
  metricsText,
  ok,
  refused,
  RESOURCE_URI,
  sample,
  SECOND_URI,
  TOKEN_EXCHANGE,
  userToken,
  verified,
} from './setup.js';

const denied = async (fx: Parameters<typeof metricsText>[0], reason: string) =>
  sample(await metricsText(fx), 'authplane_token_exchange_denied_total', { reason });

test('each gate refuses in order with its error, a token_exchange_denied audit event naming the reason, and the counter', async (t) => {
  const fx = await exchangeServer(t);
  const origin = await fx.confidential('Origin app');
  const agent = await fx.confidential('Agent');
  const stranger = await fx.confidential('Stranger');
  const user = await userToken(fx, origin, 'tools/read');

  await t.test('an unregistered target is invalid_target', async () => {
    const description = await refused(await exchange(fx, agent, { subject_token: user.access_token, resource: 'https://nowhere.example.com/mcp' }), 'invalid_target');
    assert.match(description, /not registered/);
    assert.equal((await denial(fx, 'target_not_registered', agent.client_id)).detail.error, 'invalid_target');
    assert.equal(await denied(fx, 'target_not_registered'), 1);
  });

  await t.test('resource and audience naming different resources is invalid_target', async () => {
    await refused(await exchange(fx, agent, { subject_token: user.access_token, resource: RESOURCE_URI, audience: 'second-mcp' }), 'invalid_target');
    await denial(fx, 'target_mismatch', agent.client_id);
    assert.equal(await denied(fx, 'target_mismatch'), 1);
  });

  await t.test("a client missing from the target's non-empty allowed_client_ids is access_denied", async () => {
    await fx.allowExchange(fx.secondId, [agent.client_id]);
    const description = await refused(await exchange(fx, stranger, { subject_token: user.access_token, resource: SECOND_URI }), 'access_denied', 403);
    assert.match(description, /may not exchange tokens/);
    await denial(fx, 'client_not_allowed', stranger.client_id);
    assert.equal(await denied(fx, 'client_not_allowed'), 1);
  });

  await t.test('a cross-client exchange under an empty policy is access_denied', async () => {
    const description = await refused(await exchange(fx, agent, { subject_token: user.access_token }), 'access_denied', 403);
    assert.match(description, /issued to another client/);
    const audit = await denial(fx, 'cross_client_not_allowed', agent.client_id);
    assert.equal(audit.detail.subject_client_id, origin.client_id);
    assert.equal(await denied(fx, 'cross_client_not_allowed'), 1);
  });

  await t.test("a scope beyond the subject token's is invalid_scope", async () => {
    const description = await refused(
      await exchange(fx, agent, { subject_token: user.access_token, resource: 'second-mcp', scope: 'tools/read tools/write' }),
      'invalid_scope',
    );
    assert.match(description, /beyond the subject token's: tools\/write/);
    await denial(fx, 'scope_exceeded', agent.client_id);
    assert.equal(await denied(fx, 'scope_exceeded'), 1);
  });

  await t.test("a request failing several gates gets the first one's refusal", async () => {
    // Unregistered target before policy; policy before scope.
    await refused(await exchange(fx, stranger, { subject_token: user.access_token, resource: 'nowhere', scope: 'tools/write' }), 'invalid_target');
    await refused(await exchange(fx, stranger, { subject_token: user.access_token, resource: SECOND_URI, scope: 'tools/write' }), 'access_denied', 403);
    await refused(await exchange(fx, agent, { subject_token: user.access_token, resource: SECOND_URI, scope: 'tools/write' }), 'invalid_scope');
  });

  await t.test('a listed client passes every gate; resource and audience may both name the target', async () => {
    const body = await ok(await exchange(fx, agent, { subject_token: user.access_token, resource: SECOND_URI, audience: 'second-mcp', scope: 'tools/read' }));
    const claims = await verified(fx, body.access_token, SECOND_URI);
    assert.equal(claims.sub, fx.userId);
    assert.equal(sample(await metricsText(fx), 'authplane_token_exchange_total', { kind: 'impersonation', source: 'example-mcp', target: 'second-mcp' }), 1);
  });

  await t.test("once the user's consent to the original client is withdrawn, the exchange is access_denied", async () => {
    const grants = (await (await fx.admin(`/admin/users/${fx.userId}/grants`)).json()) as { consents: { id: string; client_id: string }[] };
    const consent = grants.consents.find((c) => c.client_id === origin.client_id)!;
    // The admin API's revocation also revokes the tokens resting on the consent (lineage), which the subject token
    // check refuses first; the row alone goes here, as for a token issued before its consent was recorded.
    assert.equal(await fx.server.db('consents').where({ id: consent.id }).delete(), 1);
    const description = await refused(await exchange(fx, agent, { subject_token: user.access_token, resource: SECOND_URI }), 'access_denied', 403);
    assert.match(description, /consent/);
    const audit = await denial(fx, 'consent_withdrawn', agent.client_id);
    assert.equal(audit.detail.consent_client_id, origin.client_id);
    assert.equal(await denied(fx, 'consent_withdrawn'), 1);
    // Self-exchange is held to the consent too unless allowSelfExchange says otherwise (default false).
    await refused(await exchange(fx, origin, { subject_token: user.access_token }), 'access_denied', 403);
  });
});

test('allowSelfExchange lets a client exchange its own token without the consent check, and never a cross-client one', async (t) => {
  const fx = await exchangeServer(t, { exchange: { allowSelfExchange: true } });
  const origin = await fx.confidential('Origin app');
  const agent = await fx.confidential('Agent');
  await fx.allowExchange(fx.secondId, [agent.client_id, origin.client_id]);
  const user = await userToken(fx, origin, 'tools/read');
  const grants = (await (await fx.admin(`/admin/users/${fx.userId}/grants`)).json()) as { consents: { id: string }[] };
  assert.equal(await fx.server.db('consents').where({ id: grants.consents[0]!.id }).delete(), 1);
  const self = await ok(await exchange(fx, origin, { subject_token: user.access_token, resource: SECOND_URI }));
  assert.deepEqual((await verified(fx, self.access_token, SECOND_URI)).act, { sub: origin.client_id });
  await refused(await exchange(fx, agent, { subject_token: user.access_token, resource: SECOND_URI }), 'access_denied', 403);
  await denial(fx, 'consent_withdrawn', agent.client_id);
});

test('a machine client exchanges its own client_credentials token; another client may not without a policy entry', async (t) => {
  const fx = await exchangeServer(t);
  const machine = await fx.confidential('Machine', { scope: 'tools/read tools/write' });
  const other = await fx.confidential('Other');
  const token = await machineToken(fx, machine, { resource: RESOURCE_URI });
  const body = await ok(await exchange(fx, machine, { subject_token: token.access_token, scope: 'tools/read' }));
  const claims = await verified(fx, body.access_token, RESOURCE_URI);
  assert.equal(claims.sub, machine.client_id);
  assert.equal(claims.scope, 'tools/read');
  assert.deepEqual(claims.act, { sub: machine.client_id });
  await refused(await exchange(fx, other, { subject_token: token.access_token }), 'access_denied', 403);
  await denial(fx, 'cross_client_not_allowed', other.client_id);
});

test('a revoked subject token is invalid_grant, audited and counted', async (t) => {
  const fx = await exchangeServer(t);
  const machine = await fx.confidential('Machine');
  const token = await machineToken(fx, machine);
  const revoked = await fetch(`${fx.url}/oauth/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(machine) },
    body: new URLSearchParams({ token: token.access_token }),
  });
  assert.equal(revoked.status, 200);
  assert.match(await refused(await exchange(fx, machine, { subject_token: token.access_token }), 'invalid_grant'), /revoked/);
  await denial(fx, 'subject_token_revoked', machine.client_id);
  assert.equal(await denied(fx, 'subject_token_revoked'), 1);
  // A revoked actor token as well.
  const fresh = await machineToken(fx, machine);
  await refused(await exchange(fx, machine, { subject_token: fresh.access_token, actor_token: token.access_token, actor_token_type: ACCESS_TOKEN_TYPE }), 'invalid_grant');
  await denial(fx, 'actor_token_revoked', machine.client_id);
});

test('an expired subject token is invalid_grant, and an exchanged token never outlives its subject token', async (t) => {
  const clock = testClock();
  const fx = await exchangeServer(t, { now: clock.now, exchange: { tokenTtl: 600 } });
  const machine = await fx.confidential('Machine');
  const token = await machineToken(fx, machine);
  const subjectExp = (await verified(fx, token.access_token, fx.url)).exp!;
  clock.advance(3300 * 1000);
  // 300 s left of the subject's hour: the exchanged token gets those, not the grant's tokenTtl of 600.
  const body = await ok(await exchange(fx, machine, { subject_token: token.access_token }));
  assert.ok(body.expires_in <= 300 && body.expires_in >= 290, `expires_in ${body.expires_in}`);
  assert.ok(JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()).exp <= subjectExp);
  clock.advance(301 * 1000);
  assert.match(await refused(await exchange(fx, machine, { subject_token: token.access_token }), 'invalid_grant'), /not an active access token/);
  await denial(fx, 'subject_token_invalid', machine.client_id);
  assert.equal(await denied(fx, 'subject_token_invalid'), 1);
});

test('malformed exchange requests are invalid_request and public clients are refused before the grant runs', async (t) => {
  const fx = await exchangeServer(t);
  const machine = await fx.confidential('Machine');
  const token = (await machineToken(fx, machine)).access_token;
  assert.match(await refused(await exchange(fx, machine, { subject_token: token, actor_token: token }), 'invalid_request'), /actor_token and actor_token_type/);
  assert.match(await refused(await exchange(fx, machine, { subject_token: token, actor_token_type: ACCESS_TOKEN_TYPE }), 'invalid_request'), /actor_token and actor_token_type/);
  assert.match(
    await refused(await exchange(fx, machine, { subject_token: token, subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }), 'invalid_request'),
    /subject_token_type must be/,
  );
  await refused(await exchange(fx, machine, { subject_token_type: ACCESS_TOKEN_TYPE }), 'invalid_request');
  assert.match(await refused(await exchange(fx, machine, { subject_token: 'not-a-token' }), 'invalid_grant'), /not an active access token/);
  const patched = await fx.admin(`/admin/clients/${fx.clientId}`, { method: 'PATCH', body: JSON.stringify({ grant_types: ['authorization_code', TOKEN_EXCHANGE] }) });
  assert.equal(patched.status, 200, await patched.text());
  const response = await tokenRequest(fx, { grant_type: TOKEN_EXCHANGE, client_id: fx.clientId, subject_token: token, subject_token_type: ACCESS_TOKEN_TYPE });
  assert.match(await refused(response, 'unauthorized_client'), /requires a confidential client/);
});

test('discovery lists the token-exchange grant', async (t) => {
  const fx = await exchangeServer(t);
  const document = (await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
  assert.ok(document.grant_types_supported.includes(TOKEN_EXCHANGE), JSON.stringify(document.grant_types_supported));
});
