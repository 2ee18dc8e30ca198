/**
 * Backends (plugins/token-exchange/backends.ts): a plugin registers, through the `tokenExchange` service, a backend
 * for a resource kind other than `mint`; an exchange targeting such a resource passes the common gates (subject
 * token, target, no delegation, the target's exchange policy), then the backend answers — here a fixture broker
 * vending an upstream token. Without one, the target stays `invalid_target`.
 */
import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import { clients, fronting, oauth, resources, tokenExchange, users } from 'authplane/plugins';
import { definePlugin } from 'authplane';
import { BROKER_UPSTREAM_TOKEN, BROKER_UPSTREAM_TTL, brokerBackend, type BackendCall, type BrokerBackendOptions } from '../../fixtures/plugins/broker-backend.js';
import { handProof, proofKey } from '../dpop/setup.js';
import { startServer } from '../../helpers/server.js';
import {
  ACCESS_TOKEN_TYPE,
  auditEvent,
  denial,
  exchange,
  exchangeServer,
  machineToken,
  metricsText,
  ok,
  refused,
  RESOURCE_URI,
  sample,
  userToken,
  type Confidential,
  type ExchangeFixture,
} from './setup.js';

const BROKER_URI = 'https://gh.example.com/mcp';

async function brokerFixture(t: TestContext, backend: BrokerBackendOptions = {}) {
  const calls: BackendCall[] = [];
  const fx = await exchangeServer(t, { extra: [brokerBackend({ calls, ...backend })()] });
  const app = await fx.confidential('Chat app');
  const mcpServer = await fx.confidential('MCP server');
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({
      slug: 'github-mcp',
      display_name: 'GitHub MCP',
      uri: BROKER_URI,
      backend_kind: 'broker',
      broker_provider_id: 'github',
      scopes: [
        { name: 'repo', upstream: ['repo'] },
        { name: 'profile', upstream: ['read:user'] },
      ],
      policy: { exchange: { allowed_client_ids: [mcpServer.client_id] } },
    }),
  });
  assert.equal(created.status, 201, await created.text());
  const user = await userToken(fx, app, 'tools/read');
  return { fx, calls, app, mcpServer, user };
}

const issuanceCount = async (fx: ExchangeFixture) =>
  Number(((await fx.server.db('token_issuances').count({ n: '*' })) as { n: number | string }[])[0]!.n);

test("a broker target is handed to its kind's backend, which vends the upstream token: the provider's token_type even with a DPoP proof, no issuance row", async (t) => {
  const { fx, calls, app, mcpServer, user } = await brokerFixture(t);
  const key = await proofKey();
  const before = await issuanceCount(fx);
  const response = await exchange(fx, mcpServer, { subject_token: user.access_token, resource: BROKER_URI }, { dpop: await handProof(key, `${fx.url}/oauth/token`) });
  const body = await ok(response);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.deepEqual(body, {
    access_token: BROKER_UPSTREAM_TOKEN,
    token_type: 'bearer',
    expires_in: BROKER_UPSTREAM_TTL,
    scope: 'repo read:user',
    issued_token_type: ACCESS_TOKEN_TYPE,
  });
  assert.equal(await issuanceCount(fx), before, 'the upstream token is not recorded as one of ours');

  assert.equal(calls.length, 1);
  const [call] = calls;
  assert.equal(call!.clientId, mcpServer.client_id);
  assert.equal(call!.target, 'github-mcp');
  assert.equal(call!.kind, 'broker');
  assert.equal(call!.scopes, undefined, 'no scope parameter: the backend picks');
  assert.equal(call!.subject.sub, fx.userId);
  assert.equal(call!.subject.client_id, app.client_id);
  assert.equal(call!.dpopJkt, key.jkt, 'the proof was checked, and binds nothing');
  assert.deepEqual(call!.origin, { userId: fx.userId, clientId: app.client_id, audience: [RESOURCE_URI], grantType: 'authorization_code' });

  const audit = await auditEvent(fx, 'upstream_token_issued', (e) => e.client_id === mcpServer.client_id);
  assert.equal(audit.user_id, fx.userId, "the origin's user, by default");
  assert.deepEqual(audit.detail, {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    provider: 'github',
    token_type: 'bearer',
    audience: [BROKER_URI],
    scope: 'repo read:user',
    subject_jti: call!.subject.jti,
    subject_client_id: app.client_id,
    target: BROKER_URI,
    upstream_grant: `github:${fx.userId}`,
  });

  const narrowed = await ok(await exchange(fx, mcpServer, { subject_token: user.access_token, audience: 'github-mcp', scope: 'repo' }));
  assert.equal(narrowed.scope, 'repo');
  assert.deepEqual(calls[1]!.scopes, ['repo'], 'the scope parameter, as sent');
  assert.equal(calls[1]!.dpopJkt, undefined);
  assert.equal(sample(await metricsText(fx), 'authserver_tokens_vended_total', { provider: 'github' }), 2);
});

test('delegation to a broker target is invalid_request before the backend is asked, audited and counted', async (t) => {
  const { fx, calls, mcpServer, user } = await brokerFixture(t);
  const actor = await machineToken(fx, mcpServer, { resource: RESOURCE_URI });
  const description = await refused(
    await exchange(fx, mcpServer, { subject_token: user.access_token, resource: BROKER_URI, actor_token: actor.access_token, actor_token_type: ACCESS_TOKEN_TYPE }),
    'invalid_request',
  );
  assert.equal(description, 'delegation (actor_token) to a broker target is not supported');
  const audit = await denial(fx, 'delegation_not_supported', mcpServer.client_id);
  assert.equal(audit.detail.target, BROKER_URI);
  assert.equal(sample(await metricsText(fx), 'authplane_token_exchange_denied_total', { reason: 'delegation_not_supported' }), 1);
  assert.equal(calls.length, 0);
});

test("the subject token and the target's exchange policy gate a broker target as they gate a minted one", async (t) => {
  const { fx, calls, app, user } = await brokerFixture(t);
  const stranger: Confidential = await fx.confidential('Stranger');

  await refused(await exchange(fx, stranger, { subject_token: user.access_token, resource: BROKER_URI }), 'access_denied', 403);
  await denial(fx, 'client_not_allowed', stranger.client_id);

  await refused(await exchange(fx, app, { subject_token: `${user.access_token}x`, resource: BROKER_URI }), 'invalid_grant');
  await denial(fx, 'subject_token_invalid', app.client_id);

  // The original client exchanging its own token is not cross-client, but the policy lists only the MCP server.
  await refused(await exchange(fx, app, { subject_token: user.access_token, resource: BROKER_URI }), 'access_denied', 403);
  await denial(fx, 'client_not_allowed', app.client_id);
  assert.equal(calls.length, 0, 'no refused exchange reached the backend');
});

test('a backend refusing with consent_required is answered as the problem document, for each cause', async (t) => {
  const connected = new Set<string>();
  const { fx, mcpServer, user } = await brokerFixture(t, { connected, granted: ['repo'] });
  const missing = await exchange(fx, mcpServer, { subject_token: user.access_token, resource: BROKER_URI, scope: 'repo' });
  assert.equal(missing.status, 400);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  const first = (await missing.json()) as Record<string, string>;
  assert.equal(first.error, 'consent_required');
  assert.equal(first.cause, 'consent_missing');
  assert.equal(first.consent_url, `${fx.url}/connect/github?${new URLSearchParams({ resource: BROKER_URI })}`);

  connected.add(fx.userId);
  const beyond = await exchange(fx, mcpServer, { subject_token: user.access_token, resource: BROKER_URI, scope: 'repo profile' });
  const second = (await beyond.json()) as Record<string, string>;
  assert.equal(beyond.status, 400);
  assert.equal(second.cause, 'scope_insufficient');
  assert.equal(new URL(second.consent_url!).searchParams.get('scope'), 'repo profile');

  assert.equal((await ok(await exchange(fx, mcpServer, { subject_token: user.access_token, resource: BROKER_URI, scope: 'repo' }))).access_token, BROKER_UPSTREAM_TOKEN);
});

test('without a backend for its kind, a broker target stays invalid_target', async (t) => {
  const { fx, mcpServer, user } = await brokerFixture(t, { exchange: false });
  const description = await refused(await exchange(fx, mcpServer, { subject_token: user.access_token, resource: BROKER_URI }), 'invalid_target');
  assert.match(description, /is brokered: its tokens come from the upstream provider/);
  await denial(fx, 'target_not_registered', mcpServer.client_id);
});

test('a second backend for a kind, a backend for mint, or one registered after register stops boot naming the plugin', async (t) => {
  const base = () => [clients(), resources(), users(), oauth(), fronting(), tokenExchange()];
  await assert.rejects(
    startServer(t, { plugins: [...base(), brokerBackend({ name: 'broker-one' })(), brokerBackend({ name: 'broker-two', servesResources: false })()] }),
    (err: Error & { code?: string }) =>
      err.code === 'AP_ERR_TOKEN_EXCHANGE_BACKEND_DUPLICATE' && /resource kind 'broker' registered by 'broker-one' and 'broker-two'/.test(err.message),
  );

  const mintBackend = definePlugin({
    name: 'mint-backend',
    dependsOn: ['token-exchange'],
    register(api) {
      api.use('tokenExchange').registerBackend('mint', { plugin: api.name, exchange: async () => Promise.reject(new Error('never')) });
    },
  });
  await assert.rejects(
    startServer(t, { plugins: [...base(), mintBackend()] }),
    (err: Error & { code?: string }) => err.code === 'AP_ERR_TOKEN_EXCHANGE_BACKEND_INVALID' && /plugin 'mint-backend'.*'mint'/.test(err.message),
  );

  const lateBackend = definePlugin({
    name: 'late-backend',
    dependsOn: ['token-exchange'],
    register(api) {
      return {
        async init(rt) {
          rt.use('tokenExchange').registerBackend('broker', { plugin: api.name, exchange: async () => Promise.reject(new Error('never')) });
        },
      };
    },
  });
  await assert.rejects(
    startServer(t, { plugins: [...base(), lateBackend()] }),
    (err: Error & { code?: string }) => err.code === 'AP_ERR_TOKEN_EXCHANGE_BACKEND_INVALID' && /after register/.test(err.message),
  );
});
