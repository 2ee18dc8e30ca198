/**
 * Agent identity (docs/agents.md): real tokens from a real server, decoded and verified with jose against the JWKS.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { dcr } from 'authplane/plugins';
import { ACT_CHAIN_GRANT, actChainGrant } from '../../fixtures/plugins/act-chain-grant.js';
import { introspect, machineServer, machineToken, postForm, type Credentials } from '../client-credentials/setup.js';

type Fixture = Awaited<ReturnType<typeof machineServer>>;

async function verified(fx: Fixture, token: string): Promise<Record<string, unknown>> {
  const jwks = await (await fetch(`${fx.url}/.well-known/jwks.json`)).json();
  return (await jwtVerify(token, createLocalJWKSet(jwks))).payload as Record<string, unknown>;
}

async function agentMetric(fx: Fixture, grantType: string): Promise<number> {
  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith(`authplane_agent_tokens_issued_total{grant_type="${grantType}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** A confidential client allowed the act-chain fixture grant. */
function chainClient(fx: Fixture, agent: boolean, name: string): Promise<Required<Credentials>> {
  return fx.createMachineClient({ client_name: name, grant_types: [ACT_CHAIN_GRANT, 'client_credentials'], agent });
}

async function chainToken(fx: Fixture, client: Credentials, params: Record<string, string>): Promise<string> {
  const response = await postForm(fx.url, '/oauth/token', { grant_type: ACT_CHAIN_GRANT, ...params }, client);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token as string;
}

test('a client_credentials token of an agent client carries agent_id and agent_chain, counted and introspected', async (t) => {
  const fx = await machineServer(t);
  const agent = await fx.createMachineClient({ client_name: 'Night agent', agent: true, agent_description: 'Summarises tickets' });
  const plain = await fx.createMachineClient({ client_name: 'Cron job' });

  const agentToken = (await machineToken(fx.url, agent)).access_token;
  const claims = await verified(fx, agentToken);
  assert.equal(claims.agent_id, agent.client_id);
  assert.deepEqual(claims.agent_chain, [agent.client_id]);

  const plainClaims = await verified(fx, (await machineToken(fx.url, plain)).access_token);
  assert.equal(plainClaims.agent_id, undefined, 'a client that is not an agent gets no agent claims');
  assert.equal(plainClaims.agent_chain, undefined);

  assert.equal(await agentMetric(fx, 'client_credentials'), 1, 'only the agent token is counted');

  const active = await introspect(fx.url, agent, agentToken);
  assert.equal(active.active, true);
  assert.equal(active.agent_id, agent.client_id);
  assert.deepEqual(active.agent_chain, [agent.client_id]);
  const plainActive = await introspect(fx.url, plain, (await machineToken(fx.url, plain)).access_token);
  assert.equal('agent_id' in plainActive, false);

  // The flag set later through the admin API applies to the next token.
  const patched = await fx.admin(`/admin/clients/${plain.client_id}`, { method: 'PATCH', body: JSON.stringify({ agent: true }) });
  assert.equal(patched.status, 200);
  assert.equal((await verified(fx, (await machineToken(fx.url, plain)).access_token)).agent_id, plain.client_id);
});

test('an agent registered through DCR is stored, echoed, and its tokens carry agent_id; bad agent metadata is refused', async (t) => {
  const fx = await machineServer(t, { extra: [dcr(), actChainGrant()] });
  const register = (body: Record<string, unknown>) =>
    fetch(`${fx.url}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const base = { client_name: 'Self-registered agent', grant_types: [ACT_CHAIN_GRANT], token_endpoint_auth_method: 'client_secret_basic' };

  const response = await register({ ...base, agent: true, agent_description: '  Files pull requests  ' });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  assert.equal(body.agent, true);
  assert.equal(body.agent_description, 'Files pull requests', 'echoed as stored, trimmed');
  const stored = await (await fx.admin(`/admin/clients/${body.client_id}`)).json();
  assert.equal(stored.agent, true);
  assert.equal(stored.agent_description, 'Files pull requests');
  assert.deepEqual(stored.admin_fields, [], 'the registrant set it, not an administrator');

  // client_credentials is closed to self-registered clients, so a plugin's grant the client registered for issues.
  const claims = await verified(fx, await chainToken(fx, body, {}));
  assert.equal(claims.agent_id, body.client_id);
  assert.deepEqual(claims.agent_chain, [body.client_id]);

  const silent = await (await register(base)).json();
  assert.equal('agent' in silent, false, 'not echoed when not declared');
  assert.equal((await (await fx.admin(`/admin/clients/${silent.client_id}`)).json()).agent, false);

  for (const [bad, field] of [
    [{ agent: 'yes' }, 'agent'],
    [{ agent: true, agent_description: 42 }, 'agent_description'],
    [{ agent: true, agent_description: 'x'.repeat(1001) }, 'agent_description'],
  ] as const) {
    const refused = await register({ ...base, ...bad });
    const error = await refused.json();
    assert.equal(refused.status, 400, JSON.stringify(bad));
    assert.equal(error.error, 'invalid_client_metadata');
    assert.match(error.error_description, new RegExp(field));
  }
});

test('agent_chain lists the acting agent then the agent hops of act, outermost first, and is capped at 8', async (t) => {
  const fx = await machineServer(t, { extra: [actChainGrant()] });
  const acting = await chainClient(fx, true, 'Acting agent');
  const human = await chainClient(fx, false, 'Not an agent');
  const hops: string[] = [];
  for (let i = 0; i < 10; i++) hops.push((await chainClient(fx, true, `Hop agent ${i}`)).client_id);

  // Hops named only by the grant, not by a presented token, are not looked up, so not counted.
  const first = await chainToken(fx, acting, { actors: [hops[0]!, human.client_id, ...hops.slice(1)].join(',') });
  const firstClaims = await verified(fx, first);
  assert.deepEqual(firstClaims.agent_chain, [acting.client_id]);

  // The same chain kept from a presented subject_token: its hops are looked up; the acting client stamped as the
  // outermost hop appears once, the non-agent hop is skipped, and the chain stops at 8.
  const second = await chainToken(fx, acting, { subject_token: first, actors: acting.client_id });
  const claims = await verified(fx, second);
  assert.equal((claims.act as { sub: string }).sub, acting.client_id);
  assert.equal(claims.agent_id, acting.client_id);
  assert.deepEqual(claims.agent_chain, [acting.client_id, ...hops.slice(0, 7)]);
  assert.equal(await agentMetric(fx, ACT_CHAIN_GRANT), 2);

  const active = await introspect(fx.url, acting, second);
  assert.deepEqual(active.agent_chain, [acting.client_id, ...hops.slice(0, 7)]);
  assert.ok(active.act, 'act is introspected next to the agent claims');
});

test('a token issued to a client that is no agent, through agents, names the nearest agent as agent_id', async (t) => {
  const fx = await machineServer(t, { extra: [actChainGrant()] });
  const human = await chainClient(fx, false, 'Not an agent');
  const agentA = await chainClient(fx, true, 'Agent A');
  const agentB = await chainClient(fx, true, 'Agent B');
  const actorToken = (await machineToken(fx.url, agentA)).access_token;
  const inner = await chainToken(fx, agentB, { actors: agentB.client_id });

  // actor_token names agent A; the subject token's act names agent B.
  const token = await chainToken(fx, human, { subject_token: inner, actor_token: actorToken, actors: agentA.client_id });
  const claims = await verified(fx, token);
  assert.equal(claims.client_id, human.client_id);
  assert.equal(claims.agent_id, agentA.client_id);
  assert.deepEqual(claims.agent_chain, [agentA.client_id, agentB.client_id]);
});

test('agent claims a grant copies in are dropped when no agent is involved', async (t) => {
  const fx = await machineServer(t, { extra: [actChainGrant()] });
  const human = await chainClient(fx, false, 'Not an agent');
  const claims = await verified(
    fx,
    await chainToken(fx, human, { claims: JSON.stringify({ agent_id: 'forged', agent_chain: ['forged'] }) }),
  );
  assert.equal(claims.agent_id, undefined);
  assert.equal(claims.agent_chain, undefined);
  assert.equal(await agentMetric(fx, ACT_CHAIN_GRANT), 0);
});
