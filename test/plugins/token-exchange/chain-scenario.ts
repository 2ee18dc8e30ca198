/** The three-hop delegation scenario, run on SQLite (chain.test.ts) and PostgreSQL (postgres.test.ts). */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import {
  ACCESS_TOKEN_TYPE,
  auditEvent,
  exchange,
  exchangeServer,
  machineToken,
  metricsText,
  ok,
  RESOURCE_URI,
  sample,
  userToken,
  verified,
} from './setup.js';

const HOP_FORBIDDEN = ['exp', 'nbf', 'aud', 'iat', 'jti'];

function assertNoTokenClaimsInHops(act: unknown): void {
  for (let hop = act as Record<string, unknown> | undefined; hop; hop = hop.act as Record<string, unknown> | undefined) {
    for (const claim of HOP_FORBIDDEN) assert.equal(claim in hop, false, `a hop carries ${claim}: ${JSON.stringify(hop)}`);
  }
}

/**
 * Three agents delegate in turn from one user's token: each hop verified claim by claim against the JWKS, audited
 * and counted; the consent gate follows parent_jti back to the user's original grant each time.
 */
export async function threeHopDelegation(t: TestContext, storage: 'sqlite' | 'postgres' = 'sqlite'): Promise<void> {
  const fx = await exchangeServer(t, { storage });
  const origin = await fx.confidential('Origin app');
  const [b, c, d] = [await fx.confidential('Agent B'), await fx.confidential('Agent C'), await fx.confidential('Agent D')];
  await fx.allowExchange(fx.resourceId, [b.client_id, c.client_id, d.client_id]);
  const user = await userToken(fx, origin);
  const userClaims = await verified(fx, user.access_token, RESOURCE_URI);

  let subject = user;
  let subjectClaims = userClaims;
  const expectedAct: Record<string, unknown>[] = [];
  for (const agent of [b, c, d]) {
    const actor = await machineToken(fx, agent);
    const actorClaims = await verified(fx, actor.access_token, fx.url);
    const body = await ok(await exchange(fx, agent, { subject_token: subject.access_token, actor_token: actor.access_token, actor_token_type: ACCESS_TOKEN_TYPE }));
    assert.equal(body.issued_token_type, ACCESS_TOKEN_TYPE);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.refresh_token, undefined);
    assert.equal(body.scope, 'tools/read tools/write');
    const claims = await verified(fx, body.access_token, RESOURCE_URI);
    assert.equal(claims.sub, fx.userId);
    assert.deepEqual(claims.aud, [RESOURCE_URI]);
    assert.equal(claims.client_id, agent.client_id);
    assert.equal(claims.scope, 'tools/read tools/write');
    assert.ok((claims.exp as number) <= (subjectClaims.exp as number), 'the exchanged token outlives its subject token');
    // The new hop is the actor token's subject; the subject token's chain sits inside it unchanged.
    const expected = subjectClaims.act === undefined ? { sub: agent.client_id } : { sub: agent.client_id, act: subjectClaims.act };
    assert.deepEqual(claims.act, expected);
    assert.equal(actorClaims.sub, agent.client_id);
    assertNoTokenClaimsInHops(claims.act);
    expectedAct.push(expected);

    const audit = await auditEvent(fx, 'token_exchanged', (e) => (e.detail.jti as string) === claims.jti);
    assert.equal(audit.client_id, agent.client_id);
    assert.equal(audit.user_id, fx.userId);
    assert.equal(audit.detail.kind, 'delegation');
    assert.deepEqual(audit.detail.act, expected);
    assert.equal(audit.detail.subject_jti, subjectClaims.jti);
    assert.equal(audit.detail.actor_jti, actorClaims.jti);
    subject = body;
    subjectClaims = claims;
  }
  assert.deepEqual(subjectClaims.act, { sub: d.client_id, act: { sub: c.client_id, act: { sub: b.client_id } } });
  const audit = await auditEvent(fx, 'token_exchanged', (e) => (e.detail.jti as string) === subjectClaims.jti);
  assert.deepEqual(audit.detail.actors, [d.client_id, c.client_id, b.client_id]);

  const metrics = await metricsText(fx);
  assert.equal(sample(metrics, 'authplane_token_exchange_total', { kind: 'delegation', source: 'example-mcp', target: 'example-mcp' }), 3);
}
