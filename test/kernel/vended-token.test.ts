/**
 * A grant may answer with a token it did not sign — an upstream provider's, vended through
 * `ctx.vendUpstreamToken` (kernel/token/vended.ts). The kernel writes the body with the provider's token_type (never
 * DPoP, proof or not), `expires_in` only when known, audits without the token and counts it apart from our tokens;
 * no issuance row, no claims taps. Misuse of the context is a server error, never a response.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { clients, dpop } from 'authplane/plugins';
import { UPSTREAM_TOKEN, VEND_AUDIENCE, VEND_GRANT, vendingGrant, type VendingSeen } from '../fixtures/plugins/vending-grant.js';
import { handProof, proofKey } from '../plugins/dpop/setup.js';
import { startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

async function setup(t: TestContext) {
  const seen: VendingSeen = { claimed: 0 };
  // exactIssuer: a DPoP proof's htu is checked against the issuer's origin.
  const srv = await startServer(t, { exactIssuer: true, plugins: [clients(), dpop(), vendingGrant(seen)()] });
  const created = await srv.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({ client_name: 'MCP server', redirect_uris: [], grant_types: [VEND_GRANT], token_endpoint_auth_method: 'client_secret_basic', scope: 'repo' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { client_id, client_secret } = (await created.json()) as { client_id: string; client_secret: string };
  const tokenUrl = `${srv.url}/oauth/token`;
  const token = async (params: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`,
        ...headers,
      },
      body: new URLSearchParams({ grant_type: VEND_GRANT, ...params }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  const issuances = async () => Number(((await srv.server.db('token_issuances').count({ n: '*' })) as { n: number | string }[])[0]!.n);
  return { srv, seen, clientId: client_id, tokenUrl, token, issuances };
}

test("a vended token is answered with the provider's token_type, even when the request carries a DPoP proof", async (t) => {
  const { token, tokenUrl, seen, issuances } = await setup(t);
  const key = await proofKey();
  const before = await issuances();
  const res = await token({ expires_in: '28800' }, { dpop: await handProof(key, tokenUrl) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.deepEqual(res.body, {
    access_token: UPSTREAM_TOKEN,
    token_type: 'bearer', // the provider's spelling, not rewritten to DPoP nor to Bearer
    expires_in: 28800,
    scope: 'repo read:user',
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  });
  assert.equal(await issuances(), before, 'no issuance row: the token is not ours');
  assert.equal(seen.claimed, 0, 'accessTokenClaims taps do not run for a vended token');

  // The same request issuing one of our tokens is bound by the same proof: the dpop plugin is active.
  const ours = await token({ issue: '1' }, { dpop: await handProof(key, tokenUrl) });
  assert.equal(ours.status, 200, JSON.stringify(ours.body));
  assert.equal(ours.body.token_type, 'DPoP');
  assert.equal(seen.claimed, 1);
  assert.equal(await issuances(), before + 1);
});

test('expires_in is left out when the provider did not say, and scope when there is none', async (t) => {
  const { token } = await setup(t);
  const res = await token({ no_scope: '1', token_type: 'Bearer' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body), ['access_token', 'token_type', 'issued_token_type']);
  assert.equal(res.body.token_type, 'Bearer');
});

test('a vended token is audited and counted apart from ours, and its value reaches no audit event and no log line', async (t) => {
  const { srv, token, clientId } = await setup(t);
  assert.equal((await token({})).status, 200);
  assert.equal((await token({ mode: 'named' })).status, 200);
  assert.equal((await token({ issue: '1' })).status, 200);

  type Event = { action: string; actor_id: string; client_id: string; user_id: string | null; detail: Record<string, unknown> };
  const events = async (action: string) => ((await (await srv.admin(`/admin/audit?action=${action}`)).json()) as { events: Event[] }).events;
  const vended = await waitFor('the upstream_token_issued event', async () => (await events('upstream_token_issued'))[0]);
  assert.equal(vended.client_id, clientId);
  assert.equal(vended.actor_id, clientId);
  assert.equal(vended.user_id, 'alice');
  assert.deepEqual(vended.detail, {
    grant_type: VEND_GRANT,
    provider: 'github',
    token_type: 'bearer',
    audience: [VEND_AUDIENCE],
    scope: 'repo read:user',
    upstream_grant: 'grant-1',
  });
  await waitFor('the grant-named event', async () => (await events('test_upstream_vended'))[0]);

  const metrics = await (await srv.admin('/metrics')).text();
  assert.match(metrics, new RegExp(`authserver_tokens_vended_total\\{grant_type="${VEND_GRANT}",provider="github"\\} 2\\b`));
  assert.match(metrics, new RegExp(`authserver_tokens_issued_total\\{grant_type="${VEND_GRANT}"\\} 1\\b`), 'only our own token counts as issued');

  const everything = JSON.stringify(await (await srv.admin('/admin/audit?limit=500')).json());
  assert.ok(everything.includes('upstream_token_issued'));
  assert.ok(!everything.includes(UPSTREAM_TOKEN), 'no audit event holds the upstream token');
  assert.ok(!JSON.stringify(srv.logs).includes(UPSTREAM_TOKEN), 'no log line holds the upstream token');
});

test('vending twice, mixing with issueAccessToken, answering another object, a refresh token or a leaky audit is a server error', async (t) => {
  const { srv, token } = await setup(t);
  const cases: [mode: string, logged: RegExp][] = [
    ['twice', /called ctx\.vendUpstreamToken twice for one request/],
    ['issue-then-vend', /called ctx\.vendUpstreamToken after ctx\.issueAccessToken/],
    ['vend-then-issue', /called ctx\.issueAccessToken after ctx\.vendUpstreamToken/],
    ['copy', /an accessToken other than the one ctx\.vendUpstreamToken made/],
    ['with-refresh', /returned a refreshToken with a vended token/],
    ['leaky-audit', /put the vended token in its audit detail/],
    ['no-token', /called ctx\.vendUpstreamToken with no token/],
  ];
  for (const [mode, logged] of cases) {
    const before = srv.logs.length;
    const res = await token({ mode });
    assert.equal(res.status, 500, `${mode}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error, 'server_error', mode);
    assert.equal(res.body.access_token, undefined, mode);
    const line = await waitFor(`${mode}: an error logged`, () => srv.logs.slice(before).find((l) => l.level === 50 || l.level === 'error'));
    assert.match(JSON.stringify(line), logged, mode);
    assert.ok(!JSON.stringify(line).includes(UPSTREAM_TOKEN), `${mode}: the log line does not hold the token`);
  }
});

test('a tokenResponse tap that rewrites a vended token_type is a server error, not a token the client cannot use', async (t) => {
  const { srv, token } = await setup(t);
  const before = srv.logs.length;
  const res = await token({ rogue: '1' });
  assert.equal(res.status, 500, JSON.stringify(res.body));
  assert.equal(res.body.access_token, undefined);
  const line = await waitFor('an error logged', () => srv.logs.slice(before).find((l) => l.level === 50 || l.level === 'error'));
  assert.match(JSON.stringify(line), /token_type 'bearer' became 'DPoP'/);
});
