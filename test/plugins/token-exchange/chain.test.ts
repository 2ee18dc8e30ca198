import assert from 'node:assert/strict';
import test from 'node:test';
import { threeHopDelegation } from './chain-scenario.js';
import {
  auditEvent,
  denial,
  exchange,
  exchangeServer,
  metricsText,
  ok,
  refused,
  RESOURCE_URI,
  sample,
  userToken,
  verified,
} from './setup.js';

test('a three-hop delegation chain keeps the user as sub and nests each actor, verified claim by claim against the JWKS', (t) =>
  threeHopDelegation(t));

test('impersonation keeps sub and stamps the acting client as the one new hop, an earlier chain nested inside', async (t) => {
  const fx = await exchangeServer(t);
  const origin = await fx.confidential('Origin app');
  const b = await fx.confidential('Agent B');
  const c = await fx.confidential('Agent C');
  await fx.allowExchange(fx.resourceId, [b.client_id, c.client_id]);
  const user = await userToken(fx, origin, 'tools/read');
  const first = await ok(await exchange(fx, b, { subject_token: user.access_token }));
  const firstClaims = await verified(fx, first.access_token, RESOURCE_URI);
  assert.equal(firstClaims.sub, fx.userId);
  assert.deepEqual(firstClaims.act, { sub: b.client_id });
  const second = await ok(await exchange(fx, c, { subject_token: first.access_token }));
  const secondClaims = await verified(fx, second.access_token, RESOURCE_URI);
  assert.deepEqual(secondClaims.act, { sub: c.client_id, act: { sub: b.client_id } });
  const audit = await auditEvent(fx, 'token_exchanged', (e) => (e.detail.jti as string) === secondClaims.jti);
  assert.equal(audit.detail.kind, 'impersonation');
  assert.equal(audit.detail.actor_jti, undefined);
  assert.equal(sample(await metricsText(fx), 'authplane_token_exchange_total', { kind: 'impersonation', source: 'example-mcp', target: 'example-mcp' }), 2);
});

test('an exchange that would nest the act chain past maxChainDepth is invalid_request naming the limit, audited and counted', async (t) => {
  const fx = await exchangeServer(t, { exchange: { maxChainDepth: 2 } });
  const origin = await fx.confidential('Origin app');
  const b = await fx.confidential('Agent B');
  await fx.allowExchange(fx.resourceId, [b.client_id, origin.client_id]);
  let token = (await userToken(fx, origin, 'tools/read')).access_token;
  for (let hop = 1; hop <= 2; hop++) token = (await ok(await exchange(fx, b, { subject_token: token }))).access_token;
  const description = await refused(await exchange(fx, b, { subject_token: token }), 'invalid_request');
  assert.match(description, /3 hops deep; tokenExchange\.maxChainDepth allows 2/);
  const audit = await denial(fx, 'chain_too_deep', b.client_id);
  assert.equal(audit.detail.depth, 3);
  assert.equal(sample(await metricsText(fx), 'authplane_token_exchange_denied_total', { reason: 'chain_too_deep' }), 1);
});
