/**
 * The broker end to end, as a user and an MCP server meet it: the MCP server's vend is refused with a consent link;
 * the user follows it in a browser (sign in, connect at the upstream, back to the app); vends then hand out the
 * upstream token, refresh it near expiry, and once the upstream refuses the refresh the link comes back, which a
 * second connect answers. oidc-provider is the upstream; the server's clock is injected.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { testClock } from '../../helpers/clock.js';
import { USER } from '../oauth/setup.js';
import { metricsText, ok, sample } from '../token-exchange/setup.js';
import { consentRequired, MAIL_URI, oauthProviderBody, startUpstreamOidc, vendServer } from './vend-setup.js';

const RETURN_URL = 'https://mail-app.example.com/connected';
const UPSTREAM_TTL_S = 600;

test('a vend asks the user to connect, the user follows the link and connects, vends refresh near expiry, and a refused refresh asks again', async (t) => {
  const clock = testClock();
  // The upstream redirects to the broker's callback, known once the server listens: the upstream starts then, and
  // the provider record is pointed at it.
  const fx = await vendServer(t, { clock, provider: oauthProviderBody('http://127.0.0.1:9') });
  const callbackUrl = `${fx.url}/connect/oidc/callback`;
  const upstream = await startUpstreamOidc(t, clock, UPSTREAM_TTL_S, [callbackUrl]);
  const pointed = await fx.admin('/admin/broker-providers/oidc', {
    method: 'PATCH',
    body: JSON.stringify({ config: { authorize_url: `${upstream.issuer}/auth`, token_url: `${upstream.issuer}/token` } }),
  });
  assert.equal(pointed.status, 200, await pointed.text());
  // The connect asks for what the scopes map to; offline_access so that the upstream grant can be refreshed.
  const patched = await fx.admin('/admin/resources/mail-mcp', {
    method: 'PATCH',
    body: JSON.stringify({
      scopes: [
        { name: 'profile:read', upstream: ['openid', 'offline_access', 'profile'] },
        { name: 'inbox:read', upstream: ['email'] },
      ],
      policy: { exchange: { allowed_client_ids: [fx.agent.client_id] }, connect: { allowed_return_urls: [RETURN_URL] } },
    }),
  });
  assert.equal(patched.status, 200, await patched.text());
  const user = await fx.userToken('tools/read profile:read');

  // 1. Nothing connected: the vend answers with the connect link.
  const missing = await consentRequired(await fx.vend(user.access_token, { scope: 'profile:read' }));
  assert.equal(missing.cause, 'consent_missing');
  const link = new URL(missing.consent_url);
  assert.equal(`${link.origin}${link.pathname}`, `${fx.url}/connect/oidc`);

  // 2. The user follows it (the app adds where to come back to): sign in, connect at the upstream, back to the app.
  const connectOnce = async () => {
    const browser = new ScriptedBrowser(fx.url);
    const path = `${link.pathname}?${new URLSearchParams({ ...Object.fromEntries(link.searchParams), return_url: RETURN_URL })}`;
    let page = await browser.request(path);
    assert.equal(new URL(page.url).pathname, '/login', 'signed out: the login page first');
    page = await browser.login(page, USER.email, USER.password);
    assert.equal(page.status, 302, page.body.slice(0, 300));
    const upstreamBrowser = new ScriptedBrowser(upstream.issuer);
    let upstreamPage = await upstreamBrowser.request(page.url);
    for (let step = 0; step < 5 && !upstreamPage.url.startsWith(callbackUrl); step++) {
      assert.equal(upstreamPage.status, 200, upstreamPage.body.slice(0, 300));
      upstreamPage = /name="login"/.test(upstreamPage.body)
        ? await upstreamBrowser.submit(upstreamPage, { login: 'ada', password: 'anything' })
        : await upstreamBrowser.submit(upstreamPage);
    }
    const back = await browser.request(upstreamPage.url);
    assert.equal(back.url, RETURN_URL, 'back at the app');
  };
  await connectOnce();

  // 3. Now the vend hands out the upstream token, which the upstream accepts.
  const vended = await ok(await fx.vend(user.access_token, { scope: 'profile:read' }));
  assert.equal(vended.token_type, 'Bearer');
  const me = await fetch(`${upstream.issuer}/me`, { headers: { authorization: `Bearer ${vended.access_token}` } });
  assert.equal(me.status, 200, 'the upstream accepts the vended token');
  assert.equal(upstream.calls.filter((c) => c.grantType === 'refresh_token').length, 0);

  // 4. Near expiry the vend refreshes; a new token, accepted upstream.
  const firstRefreshToken = (await fx.grants.open(fx.userId, fx.provider.id))!.tokens.refresh_token!;
  clock.advance((UPSTREAM_TTL_S - 30) * 1000);
  const refreshed = await ok(await fx.vend(user.access_token, { scope: 'profile:read' }));
  assert.notEqual(refreshed.access_token, vended.access_token);
  assert.deepEqual(upstream.calls.filter((c) => c.grantType === 'refresh_token').map((c) => c.ok), [true]);
  assert.equal(sample(await metricsText(fx), 'upstream_token_refresh_total', { outcome: 'success', provider: 'oidc' }), 1);

  // 5. The upstream ends the grant: the rotated-out refresh token used again makes oidc-provider revoke the whole
  // grant (its reuse detection), as a user revoking the app there would. The next refresh fails; the link is back.
  assert.equal((await upstream.refresh(firstRefreshToken)).status, 400);
  clock.advance((UPSTREAM_TTL_S - 30) * 1000);
  const again = await consentRequired(await fx.vend(user.access_token, { scope: 'profile:read' }));
  assert.equal(again.cause, 'consent_missing');
  assert.equal(new URL(again.consent_url).pathname, '/connect/oidc');
  assert.equal(sample(await metricsText(fx), 'upstream_token_refresh_total', { outcome: 'failed', provider: 'oidc' }), 1);
  assert.equal(await fx.grants.info(fx.userId, fx.provider.id), undefined, 'the unusable grant is gone');

  // 6. Connecting again answers it.
  await connectOnce();
  const after = await ok(await fx.vend(user.access_token, { scope: 'profile:read' }));
  const meAgain = await fetch(`${upstream.issuer}/me`, { headers: { authorization: `Bearer ${after.access_token}` } });
  assert.equal(meAgain.status, 200);
});
