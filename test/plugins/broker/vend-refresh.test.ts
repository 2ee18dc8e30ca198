/**
 * Vending against a real upstream: oidc-provider (authorization code with PKCE, refresh tokens rotated on every use
 * and a reused one revoking the grant). The user's upstream grant is obtained from it in the test and stored as the
 * broker stores it; the user's token for M comes from the login and consent pages; the MCP server exchanges it over
 * HTTP. The server's clock is injected and moved past the upstream token's lifetime; oidc-provider keeps real time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OAuthProvider, UpstreamTokens } from '../../../plugins/broker/types.js';
import { requirePostgres } from '../../helpers/postgres.js';
import { testClock } from '../../helpers/clock.js';
import { metricsText, ok, sample, type TokenBody } from '../token-exchange/setup.js';
import { STORAGES } from './setup.js';
import { ACCESS_TOKEN_TYPE, consentRequired, MAIL_URI, oauthProviderBody, startUpstreamOidc, UPSTREAM_SECRET, vendServer } from './vend-setup.js';

const UPSTREAM_TTL_S = 600;
/** Far enough that the token expires within the default 60 s refresh skew, not so far that it has expired. */
const NEAR_EXPIRY_MS = (UPSTREAM_TTL_S - 30) * 1000;

async function connectedWorld(t: Parameters<typeof vendServer>[0], storage: 'sqlite' | 'postgres' = 'sqlite') {
  const clock = testClock();
  const upstream = await startUpstreamOidc(t, clock, UPSTREAM_TTL_S);
  const fx = await vendServer(t, { clock, storage, provider: oauthProviderBody(upstream.issuer) });
  const provider = fx.provider as OAuthProvider;
  const connected = await upstream.authorize(provider, ['openid', 'offline_access', 'profile']);
  assert.ok(connected.refresh_token, 'oidc-provider issues a refresh token for offline_access');
  await fx.grants.save(fx.userId, provider.id, connected);
  const user = await fx.userToken('tools/read profile:read');
  const refreshCalls = () => upstream.calls.filter((c) => c.grantType === 'refresh_token');
  const refreshes = async (outcome: string) => sample(await metricsText(fx), 'upstream_token_refresh_total', { outcome, provider: 'oidc' });
  return { clock, upstream, fx, provider, connected, user, refreshCalls, refreshes };
}

/** The upstream accepts the token: oidc-provider's userinfo endpoint answers it. */
async function acceptedUpstream(issuer: string, token: TokenBody): Promise<boolean> {
  const response = await fetch(`${issuer}/me`, { headers: { authorization: `${token.token_type} ${token.access_token}` } });
  await response.body?.cancel();
  return response.status === 200;
}

test('a vend hands the MCP server the user’s upstream token, refreshes it near expiry with the rotated refresh token stored, and once the upstream refuses the refresh asks the user to connect again', async (t) => {
  const { clock, upstream, fx, provider, connected, user, refreshCalls, refreshes } = await connectedWorld(t);
  const refreshTokens: string[] = [connected.refresh_token!];

  await t.test('the stored upstream token is vended as the provider issued it', async () => {
    const vended = await ok(await fx.vend(user.access_token, { scope: 'profile:read' }));
    assert.equal(vended.access_token, connected.access_token);
    assert.equal(vended.token_type, 'Bearer', 'the provider’s token_type, never DPoP');
    assert.equal(vended.issued_token_type, ACCESS_TOKEN_TYPE);
    assert.equal(vended.scope, 'profile:read', 'the broker resource’s scopes that were vended');
    assert.ok(vended.expires_in > UPSTREAM_TTL_S - 60 && vended.expires_in <= UPSTREAM_TTL_S, String(vended.expires_in));
    assert.equal(vended.refresh_token, undefined);
    assert.ok(await acceptedUpstream(upstream.issuer, vended));
    assert.equal(refreshCalls().length, 0, 'a fresh token needs no upstream call');

    const [issued] = await fx.audit('upstream_token_issued');
    assert.equal(issued!.user_id, fx.userId);
    assert.equal(issued!.client_id, fx.agent.client_id);
    const { subject_jti: subjectJti, ...detail } = issued!.detail;
    assert.equal(typeof subjectJti, 'string');
    assert.deepEqual(detail, {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      provider: 'oidc',
      token_type: 'Bearer',
      audience: [MAIL_URI],
      scope: 'profile:read',
      resource: 'mail-mcp',
      protocol: 'oauth',
      upstream_scopes: connected.scopes,
      grant_id: (await fx.grants.info(fx.userId, provider.id))!.id,
      grant_version: 1,
      subject_client_id: fx.app.client_id,
      target: MAIL_URI,
    });
  });

  let afterFirst: { grant: { version: number }; tokens: UpstreamTokens } | undefined;
  await t.test('near expiry the vend refreshes upstream and stores the rotated refresh token', async () => {
    clock.advance(NEAR_EXPIRY_MS);
    const vended = await ok(await fx.vend(user.access_token));
    assert.notEqual(vended.access_token, connected.access_token);
    assert.equal(vended.scope, 'profile:read', 'omitted scope: the broker resource’s scopes the user’s token carries');
    assert.ok(vended.expires_in > UPSTREAM_TTL_S - 60, 'the refreshed token’s lifetime');
    assert.ok(await acceptedUpstream(upstream.issuer, vended));
    assert.deepEqual(refreshCalls(), [{ grantType: 'refresh_token', ok: true }]);
    assert.equal(await refreshes('success'), 1);

    afterFirst = await fx.grants.open(fx.userId, provider.id);
    assert.equal(afterFirst!.grant.version, 2);
    assert.equal(afterFirst!.tokens.access_token, vended.access_token);
    assert.ok(afterFirst!.tokens.refresh_token && afterFirst!.tokens.refresh_token !== connected.refresh_token, 'rotated, and stored');
    refreshTokens.push(afterFirst!.tokens.refresh_token);

    const updated = await fx.audit('broker_grant_updated');
    assert.equal(updated.length, 1);
    assert.equal(updated[0]!.user_id, fx.userId);
    assert.deepEqual(updated[0]!.detail, { reason: 'refresh', provider: 'oidc', provider_id: provider.id, version: 2, refresh_token_rotated: true });
    const issued = await fx.audit('upstream_token_issued');
    assert.equal(issued.at(-1)!.detail.grant_version, 2);
    assert.equal(issued.at(-1)!.detail.refresh, 'success');
  });

  await t.test('the next refresh uses the new refresh token: the rotated-out one would have been refused', async () => {
    clock.advance(NEAR_EXPIRY_MS);
    const vended = await ok(await fx.vend(user.access_token, { scope: 'profile:read' }));
    assert.notEqual(vended.access_token, afterFirst!.tokens.access_token);
    assert.deepEqual(refreshCalls().map((c) => c.ok), [true, true], 'both refreshes accepted upstream');
    const afterSecond = await fx.grants.open(fx.userId, provider.id);
    assert.equal(afterSecond!.grant.version, 3);
    assert.notEqual(afterSecond!.tokens.refresh_token, afterFirst!.tokens.refresh_token);
    refreshTokens.push(afterSecond!.tokens.refresh_token!);

    // The rotated-out refresh token no longer works upstream; oidc-provider treats its reuse as theft and revokes
    // the whole grant, the broker's current refresh token with it.
    const reused = await upstream.refresh(afterFirst!.tokens.refresh_token!);
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
  });

  await t.test('a refresh the upstream refuses counts as failed, revokes the grant, and answers consent_required with the connect link', async () => {
    clock.advance(NEAR_EXPIRY_MS);
    const refused = await consentRequired(await fx.vend(user.access_token, { scope: 'profile:read' }));
    assert.equal(refused.cause, 'consent_missing');
    assert.equal(refused.consent_url, `${fx.url}/connect/oidc?resource=mail-mcp`);
    assert.equal(refused.title, 'Consent required');
    assert.equal(refused.status, 400);
    assert.equal(await refreshes('failed'), 1);
    assert.equal(await fx.grants.info(fx.userId, provider.id), undefined, 'the dead grant is gone');

    const revoked = await fx.audit('broker_grant_revoked');
    assert.deepEqual(revoked.map((e) => e.detail), [{ reason: 'upstream_invalid_grant', provider: 'oidc', provider_id: provider.id, version: 3 }]);
    const denied = (await fx.audit('token_exchange_denied')).filter((e) => e.detail.reason === 'consent_required');
    assert.equal(denied.length, 1);
    assert.equal(denied[0]!.detail.cause, 'consent_missing');
    assert.equal(denied[0]!.detail.bound, 'upstream_grant');
    assert.equal(denied[0]!.detail.why, 'refresh_refused');
    assert.equal(sample(await metricsText(fx), 'authplane_token_exchange_denied_total', { reason: 'consent_required' }), 1);

    // Until the user connects again, every vend says so, without calling upstream.
    const calls = upstream.calls.length;
    const again = await consentRequired(await fx.vend(user.access_token));
    assert.equal(again.consent_url, `${fx.url}/connect/oidc?resource=mail-mcp`);
    assert.equal(upstream.calls.length, calls);
  });

  await t.test('no refresh token or client secret is in any response, audit event or log line', async () => {
    await fx.server.runtimeApi().audit.flush();
    const audit = JSON.stringify(await fx.server.db('audit_events').select('*'));
    const logs = JSON.stringify(fx.logs);
    const responses = fx.bodies.join('\n');
    assert.equal(refreshTokens.length, 3);
    for (const secret of [...refreshTokens, UPSTREAM_SECRET]) {
      assert.ok(!responses.includes(secret), 'a response holds an upstream secret');
      assert.ok(!audit.includes(secret), 'an audit event holds an upstream secret');
      assert.ok(!logs.includes(secret), 'a log line holds an upstream secret');
    }
    // Vended access tokens are answers, never audited or logged.
    for (const token of [connected.access_token]) {
      assert.ok(!audit.includes(token) && !logs.includes(token));
    }
    assert.ok(fx.logs.some((l) => l.msg === 'upstream refused the refresh; the grant is revoked and the user must connect again' && l.reason === 'invalid_grant'));
  });
});

for (const storage of STORAGES) {
  test(`on ${storage}, 20 concurrent vends near expiry refresh the grant once and all get the refreshed token`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const { clock, fx, provider, connected, user, refreshCalls, refreshes } = await connectedWorld(t, storage);
    clock.advance(NEAR_EXPIRY_MS);
    const responses = await Promise.all(Array.from({ length: 20 }, () => fx.vend(user.access_token, { scope: 'profile:read' })));
    const bodies = await Promise.all(responses.map(ok));
    const tokens = new Set(bodies.map((b) => b.access_token));
    assert.equal(tokens.size, 1, 'every vend got the same refreshed token');
    assert.ok(!tokens.has(connected.access_token));
    assert.equal(refreshCalls().length, 1, 'one refresh upstream');
    assert.equal(await refreshes('success'), 1);
    assert.equal((await fx.grants.info(fx.userId, provider.id))!.version, 2);
    assert.equal((await fx.audit('broker_grant_updated')).length, 1);
    assert.equal((await fx.audit('upstream_token_issued')).length, 20);
  });
}
