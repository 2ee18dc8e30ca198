/** Raw HTTP helpers for the error cases: authorization URLs, code redemption, refresh. */
import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { ScriptedBrowser, type Page } from '../../helpers/browser.js';
import { REDIRECT_URI, RESOURCE_URI, USER, type OAuthFixture } from './setup.js';

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(fx: OAuthFixture, params: Record<string, string | undefined> = {}): string {
  const defaults: Record<string, string | undefined> = {
    client_id: fx.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'tools/read',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: 'st-1',
    resource: RESOURCE_URI,
  };
  const merged = Object.entries({ ...defaults, ...params }).filter(([, v]) => v !== undefined) as [string, string][];
  return `${fx.url}/oauth/authorize?${new URLSearchParams(merged)}`;
}

/** A browser that has logged in (its session cookie set). */
export async function loggedInBrowser(fx: OAuthFixture): Promise<ScriptedBrowser> {
  const browser = new ScriptedBrowser(fx.url);
  const page = await browser.request('/login');
  const after = await browser.login(page, USER.email, USER.password);
  assert.equal(after.status, 200, after.body);
  return browser;
}

/** Runs authorize → (consent if shown) and returns the callback URL's parameters. */
export async function authorizeWith(browser: ScriptedBrowser, url: string): Promise<URLSearchParams> {
  let page: Page = await browser.request(url);
  if (page.status === 200 && page.body.includes('name="decision"')) page = await browser.consent(page, 'allow');
  assert.ok(page.url.startsWith('http://127.0.0.1:8765/') || page.url.includes('/callback'), `expected a redirect to the client: ${page.url} ${page.status} ${page.body.slice(0, 300)}`);
  return new URL(page.url).searchParams;
}

export async function getCode(fx: OAuthFixture, params: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const browser = await loggedInBrowser(fx);
  const callback = await authorizeWith(browser, authorizeUrl(fx, { code_challenge: challenge, ...params }));
  const code = callback.get('code');
  assert.ok(code, `no code: ${callback}`);
  return { code, verifier, browser };
}

export function tokenRequest(fx: OAuthFixture, body: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${fx.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  });
}

export function redeem(fx: OAuthFixture, code: string, verifier: string, extra: Record<string, string> = {}) {
  return tokenRequest(fx, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT_URI,
    client_id: fx.clientId,
    ...extra,
  });
}

export function refresh(fx: OAuthFixture, refreshToken: string, extra: Record<string, string> = {}) {
  return tokenRequest(fx, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: fx.clientId, ...extra });
}
