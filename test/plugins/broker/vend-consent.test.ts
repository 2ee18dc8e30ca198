/**
 * The gates of a vend, one bound missing at a time: each answers its own `consent_url` and `cause` (the user's
 * token lacks a scope → our authorization endpoint for M with the wider scope, which the client follows as a
 * step-up; the user's consent withdrawn → our authorization endpoint for M; no upstream grant → connect; an upstream
 * grant lacking the upstream scope → connect asking for it), and what no consent can fix is an OAuth error. The
 * upstream token endpoint is a loopback server that must never be called: every grant here is fresh.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicAuth } from '../client-credentials/setup.js';
import { authorizeWith, loggedInBrowser, pkce, tokenRequest } from '../oauth/flow.js';
import { REDIRECT_URI } from '../oauth/setup.js';
import { metricsText, ok, refused, sample, type TokenBody } from '../token-exchange/setup.js';
import { startTokenEndpoint } from './setup.js';
import { consentRequired, MAIL_SCOPES, MAIL_URI, oauthProviderBody, RESOURCE_URI, TOKEN_EXCHANGE, vendServer, type VendFixture } from './vend-setup.js';

const UPSTREAM_TOKEN = 'upstream-access-token-4f1c2b';

async function world(t: Parameters<typeof vendServer>[0]) {
  const endpoint = await startTokenEndpoint(t);
  const fx = await vendServer(t, { provider: oauthProviderBody(endpoint.origin) });
  /** Stores a grant as the connect flow does, fresh for an hour. */
  const connect = (scopes: string[]) =>
    fx.grants.save(fx.userId, fx.provider.id, {
      access_token: UPSTREAM_TOKEN,
      token_type: 'Bearer',
      refresh_token: 'upstream-refresh-token-9d0e7a',
      expires_at: fx.clock.now() + 3_600_000,
      scopes,
    });
  return { endpoint, fx, connect };
}

/** The step-up an MCP client makes: completes the consent URL with its own client_id, redirect and PKCE. */
async function followAuthorizeLink(fx: VendFixture, consentUrl: string): Promise<TokenBody> {
  const { verifier, challenge } = pkce();
  const url = new URL(consentUrl);
  for (const [name, value] of Object.entries({
    client_id: fx.app.client_id,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'step-up',
  })) url.searchParams.set(name, value);
  const callback = await authorizeWith(await loggedInBrowser(fx), url.toString());
  return ok(
    await tokenRequest(
      fx,
      { grant_type: 'authorization_code', code: callback.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT_URI },
      { authorization: basicAuth(fx.app) },
    ),
  );
}

async function deniedFor(fx: VendFixture, reason: string) {
  return (await fx.audit('token_exchange_denied')).filter((e) => e.detail.reason === reason);
}

test('each missing consent bound answers its own consent_url and cause, and the vend passes once all are granted', async (t) => {
  const { endpoint, fx, connect } = await world(t);
  const narrow = await fx.userToken('tools/read profile:read');

  // No upstream grant: connect the account.
  const noGrant = await consentRequired(await fx.vend(narrow.access_token, { scope: 'profile:read' }));
  assert.equal(noGrant.cause, 'consent_missing');
  assert.equal(noGrant.consent_url, `${fx.url}/connect/oidc?resource=mail-mcp`);
  assert.equal(noGrant.detail, noGrant.error_description);

  // The user's token lacks the scope: our authorization endpoint for M, the token's scopes and the missing one.
  await connect(['openid', 'profile']);
  const narrowToken = await consentRequired(await fx.vend(narrow.access_token, { scope: 'inbox:read' }));
  assert.equal(narrowToken.cause, 'scope_insufficient');
  const stepUp = new URL(narrowToken.consent_url);
  assert.equal(`${stepUp.origin}${stepUp.pathname}`, `${fx.url}/oauth/authorize`);
  assert.equal(stepUp.searchParams.get('resource'), RESOURCE_URI);
  assert.equal(stepUp.searchParams.get('scope'), 'tools/read profile:read inbox:read');

  // The client follows it (login, consent to the new scope) and gets a token carrying the scope.
  const wide = await followAuthorizeLink(fx, narrowToken.consent_url);
  assert.equal(wide.scope, 'tools/read profile:read inbox:read');

  // The upstream grant lacks the upstream scope `inbox:read` maps to: connect again asking for it.
  const narrowGrant = await consentRequired(await fx.vend(wide.access_token, { scope: 'profile:read inbox:read' }));
  assert.equal(narrowGrant.cause, 'scope_insufficient');
  assert.equal(narrowGrant.consent_url, `${fx.url}/connect/oidc?${new URLSearchParams({ resource: 'mail-mcp', scope: 'profile:read inbox:read' })}`);
  assert.match(narrowGrant.error_description, /without email/);

  await connect(['openid', 'profile', 'email']);
  const vended = await ok(await fx.vend(wide.access_token, { scope: 'profile:read inbox:read' }));
  assert.equal(vended.access_token, UPSTREAM_TOKEN);
  assert.equal(vended.scope, 'profile:read inbox:read');

  // The user's consent no longer covers the token (narrowed behind its back): our authorization endpoint for M.
  const consents = fx.server.db('consents').where({ user_id: fx.userId, client_id: fx.app.client_id });
  assert.equal(await consents.clone().update({ scopes: JSON.stringify(['tools/read']) }), 1);
  const withdrawn = await consentRequired(await fx.vend(wide.access_token, { scope: 'inbox:read' }));
  assert.equal(withdrawn.cause, 'consent_missing');
  const again = new URL(withdrawn.consent_url);
  assert.equal(`${again.origin}${again.pathname}`, `${fx.url}/oauth/authorize`);
  assert.equal(again.searchParams.get('resource'), RESOURCE_URI);
  assert.equal(again.searchParams.get('scope'), 'tools/read profile:read inbox:read');

  const denials = await deniedFor(fx, 'consent_required');
  assert.deepEqual(
    denials.map((e) => [e.detail.cause, e.detail.bound, e.client_id]),
    [
      ['consent_missing', 'upstream_grant', fx.agent.client_id],
      ['scope_insufficient', 'subject_scope', fx.agent.client_id],
      ['scope_insufficient', 'upstream_scope', fx.agent.client_id],
      ['consent_missing', 'agent_consent', fx.agent.client_id],
    ],
  );
  assert.equal(sample(await metricsText(fx), 'authplane_token_exchange_denied_total', { reason: 'consent_required' }), 4);
  assert.equal(endpoint.received.length, 0, 'fresh grants: the upstream was never called');
});

test('scopes no consent can add are invalid_scope, an agent that does not run the user’s resource is access_denied, and delegation is invalid_request', async (t) => {
  const { endpoint, fx, connect } = await world(t);
  await connect(['openid', 'profile', 'email']);
  const user = await fx.userToken('tools/read profile:read');

  await t.test('a scope the broker resource does not offer', async () => {
    assert.match(await refused(await fx.vend(user.access_token, { scope: 'calendar:read' }), 'invalid_scope'), /not offered by the target: calendar:read/);
  });

  await t.test('a scope the user’s resource does not offer, so the user can never consent to it there', async () => {
    const patched = await fx.admin('/admin/resources/mail-mcp', {
      method: 'PATCH',
      body: JSON.stringify({ scopes: [...MAIL_SCOPES, { name: 'contacts:read', upstream: ['profile'] }] }),
    });
    assert.equal(patched.status, 200, await patched.text());
    assert.match(await refused(await fx.vend(user.access_token, { scope: 'contacts:read' }), 'invalid_scope'), /no consent can add it: contacts:read/);
  });

  await t.test('no scope asked and none of the broker resource’s in the user’s token', async () => {
    const bare = await fx.userToken('tools/read');
    await refused(await fx.vend(bare.access_token), 'invalid_scope');
    assert.equal((await deniedFor(fx, 'scope_exceeded')).length, 3);
  });

  await t.test('a client the broker resource lets exchange, which is not a runtime client of the user’s resource', async () => {
    const stranger = (await fx.createClient({
      client_name: 'Some other agent',
      grant_types: [TOKEN_EXCHANGE],
      token_endpoint_auth_method: 'client_secret_basic',
    })) as { client_id: string; client_secret: string };
    const patched = await fx.admin('/admin/resources/mail-mcp', {
      method: 'PATCH',
      body: JSON.stringify({ policy: { exchange: { allowed_client_ids: [fx.agent.client_id, stranger.client_id] } } }),
    });
    assert.equal(patched.status, 200, await patched.text());
    const description = await refused(await fx.vend(user.access_token, { scope: 'profile:read' }, stranger), 'access_denied', 403);
    assert.match(description, /is not a runtime client of 'https:\/\/mcp\.example\.com\/mcp'/);
    const [denial] = await deniedFor(fx, 'agent_not_attested');
    assert.equal(denial!.client_id, stranger.client_id);
    assert.equal(denial!.detail.agent_resource, RESOURCE_URI);
    assert.equal(denial!.detail.target, MAIL_URI);
    assert.equal(sample(await metricsText(fx), 'authplane_token_exchange_denied_total', { reason: 'agent_not_attested' }), 1);

    // Not in the broker resource's exchange policy at all: the grant's own gate, before the broker is asked.
    const outsider = (await fx.createClient({ client_name: 'Outsider', grant_types: [TOKEN_EXCHANGE], token_endpoint_auth_method: 'client_secret_basic' })) as typeof stranger;
    await refused(await fx.vend(user.access_token, { scope: 'profile:read' }, outsider), 'access_denied', 403);
    assert.equal((await deniedFor(fx, 'client_not_allowed')).length, 1);
  });

  await t.test('a token a client got for itself has no user whose upstream grant could be vended', async () => {
    const robot = (await fx.createClient({
      client_name: 'Robot',
      grant_types: ['client_credentials', TOKEN_EXCHANGE],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'profile:read',
    })) as { client_id: string; client_secret: string };
    for (const [path, body] of [
      [`/admin/resources/${fx.resourceId}`, { policy: { runtime: { client_ids: [fx.agent.client_id, robot.client_id] } } }],
      ['/admin/resources/mail-mcp', { policy: { exchange: { allowed_client_ids: [fx.agent.client_id, robot.client_id] } } }],
    ] as const) {
      const patched = await fx.admin(path, { method: 'PATCH', body: JSON.stringify(body) });
      assert.equal(patched.status, 200, await patched.text());
    }
    const own = await ok(await tokenRequest(fx, { grant_type: 'client_credentials', scope: 'profile:read', resource: RESOURCE_URI }, { authorization: basicAuth(robot) }));
    assert.match(await refused(await fx.vend(own.access_token, { scope: 'profile:read' }, robot), 'access_denied', 403), /no user/);
    assert.equal((await deniedFor(fx, 'subject_not_user')).length, 1);
  });

  await t.test('an actor_token (delegation) towards a broker resource', async () => {
    const description = await refused(await fx.vend(user.access_token, { actor_token: user.access_token, actor_token_type: 'urn:ietf:params:oauth:token-type:access_token' }), 'invalid_request');
    assert.equal(description, 'delegation (actor_token) to a broker target is not supported');
  });

  assert.equal(endpoint.received.length, 0);
  const vended = await ok(await fx.vend(user.access_token));
  assert.equal(vended.access_token, UPSTREAM_TOKEN, 'the attested agent still gets the token');
});
