/**
 * Token exchange meets lineage and agent identity: tokens exchanged through the real grant rest on the consent of
 * the token they came from (revoking it ends every generation), and an agent acting through the exchange is named
 * in `agent_id` / `agent_chain`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicAuth } from '../client-credentials/setup.js';
import { exchange, exchangeServer, ok, RESOURCE_URI, userToken, verified, type Confidential, type ExchangeFixture } from './setup.js';

async function active(fx: ExchangeFixture, client: Confidential, token: string): Promise<boolean> {
  const response = await fetch(`${fx.url}/oauth/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client) },
    body: new URLSearchParams({ token }),
  });
  const body = (await response.json()) as { active: boolean };
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.active;
}

test('revoking the consent a user token rests on ends it and three generations of tokens exchanged from it', async (t) => {
  const fx = await exchangeServer(t);
  const client = await fx.confidential('Exchanging app');
  const bystander = await fx.confidential('Bystander app');
  const origin = await userToken(fx, client);
  const unrelated = await userToken(fx, bystander);
  const tokens = [origin.access_token];
  for (let generation = 0; generation < 3; generation++) {
    const body = await ok(await exchange(fx, client, { subject_token: tokens.at(-1)!, resource: RESOURCE_URI, scope: 'tools/read' }));
    tokens.push(body.access_token);
  }
  const last = await verified(fx, tokens[3]!, RESOURCE_URI);
  assert.deepEqual(last.act, { sub: client.client_id, act: { sub: client.client_id, act: { sub: client.client_id } } });
  for (const token of tokens) assert.equal(await active(fx, client, token), true);

  const grants = (await (await fx.admin(`/admin/users/${fx.userId}/grants`)).json()) as { consents: { id: string; client_id: string }[] };
  const consent = grants.consents.find((c) => c.client_id === client.client_id)!;
  assert.equal((await fx.admin(`/admin/grants/consent/${consent.id}`, { method: 'DELETE' })).status, 204);

  for (const [generation, token] of tokens.entries()) {
    assert.equal(await active(fx, client, token), false, `generation ${generation} is revoked with the consent`);
  }
  assert.equal(await active(fx, bystander, unrelated.access_token), true, "another client's consent and token live on");
});

test('an agent exchanging a user token is named in agent_id and agent_chain of the token it gets', async (t) => {
  const fx = await exchangeServer(t);
  const app = await fx.confidential('Chat app');
  const agent = await fx.confidential('Research agent', { agent: true, agent_description: 'reads tools for the user' });
  await fx.allowExchange(fx.resourceId, [agent.client_id]);
  const user = await userToken(fx, app);
  const plain = await verified(fx, user.access_token, RESOURCE_URI);
  assert.equal(plain.agent_id, undefined, 'a token of a client that is no agent names none');

  const body = await ok(await exchange(fx, agent, { subject_token: user.access_token, resource: RESOURCE_URI, scope: 'tools/read' }));
  const claims = await verified(fx, body.access_token, RESOURCE_URI);
  assert.equal(claims.sub, plain.sub, 'impersonation keeps the user');
  assert.deepEqual(claims.act, { sub: agent.client_id });
  assert.equal(claims.agent_id, agent.client_id);
  assert.deepEqual(claims.agent_chain, [agent.client_id]);
});
