/**
 * What a vend does with each upstream answer, against a loopback token endpoint the test scripts: another write
 * landing while a refresh is out (a replica's refresh, a reconnect) wins and is vended; an upstream that fails
 * leaves the grant alone and answers 503; an expired token without a refresh token sends the user to connect;
 * `api_key` and `service_account` providers vend the operator's credential.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UpstreamTokens } from '../../../plugins/broker/types.js';
import { requirePostgres } from '../../helpers/postgres.js';
import { metricsText, ok, refused, sample } from '../token-exchange/setup.js';
import { startTokenEndpoint, STORAGES, type TokenEndpoint } from './setup.js';
import { consentRequired, oauthProviderBody, vendServer } from './vend-setup.js';

const HOUR_MS = 3_600_000;

async function world(t: Parameters<typeof vendServer>[0], options: { storage?: 'sqlite' | 'postgres'; provider?: (endpoint: TokenEndpoint) => Record<string, unknown>; env?: NodeJS.ProcessEnv } = {}) {
  const endpoint = await startTokenEndpoint(t);
  const fx = await vendServer(t, {
    storage: options.storage,
    env: options.env,
    provider: options.provider?.(endpoint) ?? oauthProviderBody(endpoint.origin),
  });
  const user = await fx.userToken('tools/read profile:read');
  const refreshes = async (outcome: string) => sample(await metricsText(fx), 'upstream_token_refresh_total', { outcome, provider: fx.provider.slug });
  return { endpoint, fx, user, refreshes };
}

const grantTokens = (name: string, expiresAt: number, refresh = true): UpstreamTokens => ({
  access_token: `${name}-access`,
  token_type: 'Bearer',
  ...(refresh ? { refresh_token: `${name}-refresh` } : {}),
  expires_at: expiresAt,
  scopes: ['openid', 'profile'],
});

for (const storage of STORAGES) {
  test(`on ${storage}, a write landing while the refresh is out wins: the vend hands out the winner’s token and stores nothing of its own`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const { endpoint, fx, user, refreshes } = await world(t, { storage });
    const provider = fx.provider;
    await fx.grants.save(fx.userId, provider.id, grantTokens('first', fx.clock.now() + 30_000));

    // Another replica refreshes (or the user reconnects) while this server's refresh request is upstream.
    endpoint.route('/token', async (_req, res) => {
      await fx.grants.save(fx.userId, provider.id, grantTokens('winner', fx.clock.now() + HOUR_MS));
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ access_token: 'loser-access', token_type: 'Bearer', refresh_token: 'loser-refresh', expires_in: 3600 }),
      );
    });
    const vended = await ok(await fx.vend(user.access_token));
    assert.equal(vended.access_token, 'winner-access');
    assert.equal(endpoint.received.length, 1);
    assert.equal(endpoint.received[0]!.form.refresh_token, 'first-refresh');
    assert.equal(await refreshes('raced'), 1);
    const stored = await fx.grants.open(fx.userId, provider.id);
    assert.equal(stored!.grant.version, 2, 'the winner’s write, not ours over it');
    assert.equal(stored!.tokens.refresh_token, 'winner-refresh');

    // The winner rotated the refresh token first, so the upstream refuses ours: still the winner's grant, kept.
    await fx.grants.save(fx.userId, provider.id, grantTokens('second', fx.clock.now() + 30_000));
    endpoint.route('/token', async (_req, res) => {
      await fx.grants.save(fx.userId, provider.id, grantTokens('winner2', fx.clock.now() + HOUR_MS));
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant', error_description: 'refresh token already used' }));
    });
    const again = await ok(await fx.vend(user.access_token));
    assert.equal(again.access_token, 'winner2-access');
    assert.equal(await refreshes('raced'), 2);
    assert.equal(await refreshes('failed'), 0);
    assert.equal((await fx.grants.info(fx.userId, provider.id))!.version, 4);
    assert.deepEqual(await fx.audit('broker_grant_updated'), [], 'nothing of ours was written');
    assert.deepEqual(await fx.audit('broker_grant_revoked'), []);
  });
}

test('an upstream that fails to refresh answers temporarily_unavailable and keeps the grant', async (t) => {
  const { endpoint, fx, user, refreshes } = await world(t);
  const stored = grantTokens('kept', fx.clock.now() + 30_000);
  await fx.grants.save(fx.userId, fx.provider.id, stored);
  endpoint.json('/token', { error: 'server_error' }, 500);

  const response = await fx.vend(user.access_token);
  assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/json');
  assert.match(await refused(response, 'temporarily_unavailable', 503), /try again later/);
  assert.equal(await refreshes('error'), 1);
  const kept = await fx.grants.open(fx.userId, fx.provider.id);
  assert.equal(kept!.grant.version, 1);
  assert.deepEqual(kept!.tokens, stored);
  assert.ok(fx.logs.some((l) => l.msg === 'upstream token refresh failed; the grant is kept' && l.reason === 'upstream_error' && l.status === 500));

  // Once the upstream answers again, the next vend refreshes.
  endpoint.json('/token', { access_token: 'back-access', token_type: 'bearer', refresh_token: 'back-refresh', expires_in: 3600 });
  const vended = await ok(await fx.vend(user.access_token));
  assert.equal(vended.access_token, 'back-access');
  assert.equal(vended.token_type, 'Bearer', 'bearer as the provider wrote it is normalised once, on the way in');
  assert.equal(await refreshes('success'), 1);
});

test('a token near expiry without a refresh token is vended while it lives, then the user must connect again', async (t) => {
  const { endpoint, fx, user } = await world(t);
  await fx.grants.save(fx.userId, fx.provider.id, grantTokens('once', fx.clock.now() + 40_000, false));
  const vended = await ok(await fx.vend(user.access_token));
  assert.equal(vended.access_token, 'once-access');
  assert.ok(vended.expires_in <= 40 && vended.expires_in >= 30, String(vended.expires_in));

  fx.clock.advance(41_000);
  const expired = await consentRequired(await fx.vend(user.access_token));
  assert.equal(expired.cause, 'consent_missing');
  assert.equal(expired.consent_url, `${fx.url}/connect/oidc?resource=mail-mcp`);
  assert.equal(endpoint.received.length, 0, 'nothing to refresh with');
  const [denial] = (await fx.audit('token_exchange_denied')).filter((e) => e.detail.reason === 'consent_required');
  assert.equal(denial!.detail.why, 'expired');
});

test('an api_key provider vends the operator’s key as a Bearer token, within the upstream scopes the key carries', async (t) => {
  const { fx, user } = await world(t, {
    env: { MAIL_API_KEY: 'mail-api-key-5e3a91' },
    provider: () => ({ slug: 'mail-key', display_name: 'Mail (API key)', protocol: 'api_key', config: { credential_ref: 'MAIL_API_KEY', scopes: ['profile'] } }),
  });
  const vended = await ok(await fx.vend(user.access_token, { scope: 'profile:read' }));
  assert.equal(vended.access_token, 'mail-api-key-5e3a91');
  assert.equal(vended.token_type, 'Bearer');
  assert.equal(vended.expires_in, undefined, 'a key does not expire by itself');
  assert.equal(vended.scope, 'profile:read');
  const [issued] = await fx.audit('upstream_token_issued');
  assert.equal(issued!.detail.protocol, 'api_key');
  assert.equal(issued!.detail.grant_version, undefined);
  assert.ok(!JSON.stringify(await fx.audit('upstream_token_issued')).includes('mail-api-key-5e3a91'));

  const wide = await fx.userToken('tools/read profile:read inbox:read');
  assert.match(await refused(await fx.vend(wide.access_token, { scope: 'inbox:read' }), 'invalid_scope'), /does not carry email/);
});

test('an api_key provider whose variable is not set answers temporarily_unavailable, naming the variable in the log only', async (t) => {
  const { fx, user } = await world(t, {
    provider: () => ({ slug: 'mail-key', display_name: 'Mail (API key)', protocol: 'api_key', config: { credential_ref: 'MAIL_API_KEY', scopes: ['profile'] } }),
  });
  assert.doesNotMatch(await refused(await fx.vend(user.access_token), 'temporarily_unavailable', 503), /MAIL_API_KEY/);
  assert.ok(fx.logs.some((l) => l.msg === 'the variable holding the provider API key is not set' && l.variable === 'MAIL_API_KEY'));
});

test('a service_account provider vends a client credentials token, reused until near its expiry', async (t) => {
  let issued = 0;
  const { endpoint, fx, user } = await world(t, {
    provider: (ep) => ({
      slug: 'mail-robot',
      display_name: 'Mail (service account)',
      protocol: 'service_account',
      config: { client_id: 'authplane-sa', client_secret_ref: 'UPSTREAM_CLIENT_SECRET', token_url: `${ep.origin}/token` },
    }),
  });
  endpoint.route('/token', (_req, res, form) => {
    issued++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ access_token: `sa-${issued}`, token_type: 'Bearer', expires_in: 300, scope: form.scope }),
    );
  });
  assert.equal((await ok(await fx.vend(user.access_token, { scope: 'profile:read' }))).access_token, 'sa-1');
  assert.equal((await ok(await fx.vend(user.access_token, { scope: 'profile:read' }))).access_token, 'sa-1', 'cached');
  assert.equal(endpoint.received.length, 1);
  assert.deepEqual(endpoint.received[0]!.form, { grant_type: 'client_credentials', scope: 'profile' });

  fx.clock.advance(250_000); // within the 60 s skew of its 300 s
  const renewed = await ok(await fx.vend(user.access_token, { scope: 'profile:read' }));
  assert.equal(renewed.access_token, 'sa-2');
  assert.ok(renewed.expires_in > 290);
  assert.equal(endpoint.received.length, 2);
});
