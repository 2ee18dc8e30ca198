/**
 * What the connect flow refuses, always with an HTML error page and never a redirect: a state that was altered,
 * made for another provider, expired, carried to another browser or completed by another user; a return URL not
 * allowlisted; a resource that is not a broker resource of this provider; a provider that does not connect.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBrowser, type Page } from '../../helpers/browser.js';
import { testClock } from '../../helpers/clock.js';
import {
  auditEvents,
  connectFixture,
  connectPath,
  consentUpstream,
  cookieHeader,
  grantRows,
  RETURN_URL,
  signedIn,
  startConnect,
  USERS,
} from './connect-setup.js';
import { createProvider, githubProvider, json } from './setup.js';

/** An error page: HTML, the status given, no Location, the message shown, not cached. */
function assertErrorPage(page: Page | Response, status: number, message: RegExp, body?: string): void {
  assert.equal(page.status, status, body);
  assert.equal(page.headers.get('location'), null, 'never a redirect');
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.match(body ?? (page as Page).body, message);
}

/** A connect started and consented upstream: the callback URL, not yet requested. */
async function pendingCallback(fx: Awaited<ReturnType<typeof connectFixture>>, browser: ScriptedBrowser): Promise<URL> {
  const started = await startConnect(browser, connectPath());
  return new URL(await consentUpstream(fx, new ScriptedBrowser(fx.upstream), started.url));
}

test('an altered state, a state made for another provider and a missing state are refused with an error page', async (t) => {
  const fx = await connectFixture(t);
  await createProvider(fx, githubProvider({ slug: 'other' }));
  const browser = await signedIn(fx, 'ada');
  const callback = await pendingCallback(fx, browser);
  const state = callback.searchParams.get('state')!;

  // One character of the ciphertext changed: AES-GCM's tag no longer holds.
  const dot = state.indexOf('.');
  const flipped = state[dot + 20] === 'A' ? 'B' : 'A';
  const altered = new URL(callback);
  altered.searchParams.set('state', `${state.slice(0, dot + 20)}${flipped}${state.slice(dot + 21)}`);
  assertErrorPage(await browser.request(altered.toString()), 400, /This connection request is not valid: it was altered or made elsewhere/);

  const truncated = new URL(callback);
  truncated.searchParams.set('state', state.slice(0, dot + 10));
  assertErrorPage(await browser.request(truncated.toString()), 400, /not valid/);
  const garbage = new URL(callback);
  garbage.searchParams.set('state', 'not-a-state');
  assertErrorPage(await browser.request(garbage.toString()), 400, /not valid/);

  // The same state at another provider's callback: bound to its provider, it does not open there.
  const elsewhere = new URL(callback);
  elsewhere.pathname = '/connect/other/callback';
  assertErrorPage(await browser.request(elsewhere.toString()), 400, /not valid/);

  const missing = new URL(callback);
  missing.searchParams.delete('state');
  assertErrorPage(await browser.request(missing.toString()), 400, /carries no state/);

  assert.deepEqual(await grantRows(fx), [], 'nothing stored');
  // The untouched state still works in the browser that started it: the refusals above did not use it up.
  const done = await browser.request(callback.toString());
  assert.equal(done.url, RETURN_URL);
  assert.equal((await grantRows(fx)).length, 1);
});

test('a state past its ten minutes is refused with a page saying to start again', async (t) => {
  const clock = testClock();
  const fx = await connectFixture(t, { now: clock.now });
  const browser = await signedIn(fx, 'ada');
  const callback = await pendingCallback(fx, browser);
  clock.advance(10 * 60 * 1000 + 1000);
  assertErrorPage(await browser.request(callback.toString()), 400, /This connection request has expired\. Start again from the application\./);
  assert.deepEqual(await grantRows(fx), []);
  assert.ok(!browser.cookies.has('ap_connect_oidc'), 'the nonce is cleared');
});

test('a state carried to another browser is refused, even one signed in as the same user', async (t) => {
  const fx = await connectFixture(t);
  const browser = await signedIn(fx, 'ada');
  const callback = await pendingCallback(fx, browser);

  const attacker = await signedIn(fx, 'bob');
  assertErrorPage(await attacker.request(callback.toString()), 403, /This connection was not started in this browser/);
  const sameUserElsewhere = await signedIn(fx, 'ada');
  assertErrorPage(await sameUserElsewhere.request(callback.toString()), 403, /not started in this browser/);
  const anonymous = await fetch(callback, { redirect: 'manual' });
  assertErrorPage(anonymous, 403, /not started in this browser/, await anonymous.text());
  assert.deepEqual(await grantRows(fx), [], "the code was not attached to anyone's account");
});

test('a state completed after another user signed in in the same browser is refused and used up', async (t) => {
  const fx = await connectFixture(t);
  const browser = await signedIn(fx, 'ada');
  const callback = await pendingCallback(fx, browser);
  // Ada signs out and Bob signs in, in the same browser (the nonce cookie is still there).
  assert.equal((await browser.submit(await browser.request('/logout'))).status, 200);
  const relogin = await browser.login(await browser.request('/login'), USERS.bob.email, USERS.bob.password);
  assert.equal(relogin.status, 200);
  assert.ok(browser.cookies.has('ap_connect_oidc'));
  assertErrorPage(await browser.request(callback.toString()), 403, /started by another account than the one signed in now/);
  assertErrorPage(await browser.request(callback.toString()), 403, /not started in this browser, or it was already completed/);
  assert.deepEqual(await grantRows(fx), []);
});

test('a completed connect cannot be replayed from the same browser', async (t) => {
  const fx = await connectFixture(t);
  const browser = await signedIn(fx, 'ada');
  const callback = await pendingCallback(fx, browser);
  assert.equal((await browser.request(callback.toString())).url, RETURN_URL);
  assertErrorPage(await browser.request(callback.toString()), 403, /already completed/);
  assert.equal((await grantRows(fx))[0]!.version, 1);
});

test('a return_url not allowlisted, a resource of another provider or not brokered, and providers that do not connect are refused before any login', async (t) => {
  const fx = await connectFixture(t);
  await createProvider(fx, githubProvider());
  await createProvider(fx, { slug: 'keyed', display_name: 'Keyed', protocol: 'api_key', config: { credential_ref: 'KEYED_API_KEY' } });
  const post = async (body: unknown) => assert.equal((await fx.admin('/admin/resources', json(body))).status, 201);
  await post({ slug: 'gh', display_name: 'GitHub MCP', uri: 'https://gh.example.com/mcp', backend_kind: 'broker', broker_provider_id: 'github', policy: { connect: { allowed_return_urls: [RETURN_URL] } } });
  await post({ slug: 'minted', display_name: 'Minted MCP', uri: 'https://minted.example.com/mcp', backend_kind: 'mint' });
  await post({ slug: 'scripted', display_name: 'Scripted', uri: 'https://scripted.example.com/mcp', backend_kind: 'broker', broker_provider_id: 'oidc', policy: { connect: { allowed_return_urls: ['javascript:alert(1)'] } } });

  const page = async (path: string) => {
    const response = await fetch(`${fx.url}${path}`, { redirect: 'manual' });
    return { response, body: await response.text() };
  };
  const cases: [string, number, RegExp][] = [
    [connectPath({ return_url: 'https://evil.example/connected' }), 400, /The return URL is not one Files MCP allows/],
    [connectPath({ return_url: `${RETURN_URL}/` }), 400, /The return URL is not one Files MCP allows/],
    [connectPath({ return_url: RETURN_URL.toUpperCase() }), 400, /The return URL is not one Files MCP allows/],
    [connectPath({ resource: 'gh' }), 400, /GitHub MCP does not use Acme ID accounts/],
    [connectPath({ resource: 'minted' }), 400, /Minted MCP does not use an upstream account/],
    [connectPath({ resource: 'nope' }), 404, /There is no resource &#39;nope&#39;/],
    [`/connect/oidc?return_url=${encodeURIComponent(RETURN_URL)}`, 400, /names no resource/],
    [connectPath({ resource: 'scripted', return_url: 'javascript:alert(1)' }), 400, /is not an absolute http\(s\) URL/],
    [connectPath({}, 'nope'), 404, /There is no provider &#39;nope&#39; to connect/],
    [connectPath({ resource: 'gh' }, 'keyed'), 400, /Keyed does not connect user accounts \(its protocol is api_key\)/],
    [`${connectPath()}&resource=files`, 400, /included more than once/],
  ];
  for (const [path, status, message] of cases) {
    const { response, body } = await page(path);
    assertErrorPage(response, status, message, `${path}: ${body}`);
  }
  // Signed in, the same refusals (nothing reaches the upstream).
  const browser = await signedIn(fx, 'ada');
  const signed = await fetch(`${fx.url}${connectPath({ return_url: 'https://evil.example/connected' })}`, { redirect: 'manual', headers: { cookie: cookieHeader(browser) } });
  assertErrorPage(signed, 400, /not one Files MCP allows/, await signed.text());
  // The other allowlisted URL is accepted.
  const other = await startConnect(browser, connectPath({ return_url: 'https://app.example.com/other' }));
  assert.ok(other.url.startsWith(`${fx.upstream}/auth?`));
});

test('an upstream token endpoint failure shows a safe error page with a way back, and is audited without the code', async (t) => {
  const fx = await connectFixture(t);
  const browser = await signedIn(fx, 'ada');
  const callback = await pendingCallback(fx, browser);
  // A code that is not the one oidc-provider issued: its token endpoint answers invalid_grant.
  const forged = new URL(callback);
  forged.searchParams.set('code', 'forged-code-value-0123456789');
  const page = await browser.request(forged.toString());
  assert.equal(page.status, 502);
  assert.match(page.body, /Acme ID did not accept the authorization \(it expired or was already used\)\. Start again from the application\./);
  assert.match(page.body, new RegExp(`<a href="${RETURN_URL}">Back to the application</a>`));
  assert.ok(!page.body.includes('forged-code-value'));
  assert.deepEqual(await grantRows(fx), []);
  const [failed] = await auditEvents(fx, { action: 'broker_connect_failed' });
  assert.deepEqual(failed!.detail, { provider: 'oidc', provider_id: fx.providerId, resource: 'files', reason: 'exchange_failed', upstream_reason: 'invalid_grant' });
  const warning = fx.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('connect: '));
  assert.ok(warning, 'the failure is logged');
  assert.ok(!JSON.stringify(fx.logs).includes('forged-code-value'), 'the code is not logged');
});
