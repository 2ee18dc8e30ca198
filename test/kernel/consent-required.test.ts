/**
 * `ConsentRequired` (kernel/errors.ts), thrown by any grant or route, is answered as HTTP 400
 * `application/problem+json` carrying both the OAuth members and RFC 9457's, never cached; on a browser page it is
 * an HTML error page. A consent URL that is not absolute http(s) cannot even be constructed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONSENT_REQUIRED_TYPE, ConsentRequired, type ConsentCause } from 'authplane';
import { clients } from 'authplane/plugins';
import { CONSENT_GRANT, consentGrant } from '../fixtures/plugins/consent-grant.js';
import { startServer } from '../helpers/server.js';

test('a grant refusing with ConsentRequired is answered as a 400 problem document with the OAuth members, for each cause', async (t) => {
  const srv = await startServer(t, { exactIssuer: true, plugins: [clients(), consentGrant()] });
  const created = await srv.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({ client_name: 'MCP server', redirect_uris: [], grant_types: [CONSENT_GRANT], token_endpoint_auth_method: 'client_secret_basic', scope: 'repo' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { client_id, client_secret } = (await created.json()) as { client_id: string; client_secret: string };
  const token = (cause: ConsentCause) =>
    fetch(`${srv.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: CONSENT_GRANT, cause }),
    });

  const missing = await token('consent_missing');
  assert.equal(missing.status, 400);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  assert.equal(missing.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await missing.json(), {
    error: 'consent_required',
    error_description: 'connect your GitHub account first',
    consent_url: `${srv.url}/connect/github`,
    cause: 'consent_missing',
    type: CONSENT_REQUIRED_TYPE,
    title: 'Consent required',
    detail: 'connect your GitHub account first',
    status: 400,
  });

  const insufficient = await token('scope_insufficient');
  assert.equal(insufficient.status, 400);
  const body = (await insufficient.json()) as Record<string, string>;
  assert.equal(body.cause, 'scope_insufficient');
  assert.equal(body.error, 'consent_required');
  const url = new URL(body.consent_url!);
  assert.equal(`${url.origin}${url.pathname}`, `${srv.url}/oauth/authorize`);
  assert.equal(url.searchParams.get('scope'), 'repo:write');
  assert.equal(url.searchParams.get('resource'), 'https://gh.example.com/mcp');
});

test('a JSON route answers the same document, and a browser page an HTML error page', async (t) => {
  const srv = await startServer(t, { plugins: [consentGrant()] });
  const json = await fetch(`${srv.url}/test-consent/check?cause=scope_insufficient`);
  assert.equal(json.status, 400);
  assert.equal(json.headers.get('content-type'), 'application/problem+json');
  assert.equal(json.headers.get('cache-control'), 'no-store');
  const body = (await json.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['error', 'error_description', 'consent_url', 'cause', 'type', 'title', 'detail', 'status']);
  assert.equal(body.cause, 'scope_insufficient');
  assert.equal(body.type, CONSENT_REQUIRED_TYPE);

  const page = await fetch(`${srv.url}/test-consent/page`);
  assert.equal(page.status, 400);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await page.text(), /connect your GitHub account first/);
});

test('ConsentRequired refuses a consent URL that is not absolute http(s), and a cause it does not know', () => {
  for (const consentUrl of ['/connect/github', 'javascript:alert(1)', 'data:text/html,x', '']) {
    assert.throws(() => new ConsentRequired('x', { consentUrl, cause: 'consent_missing' }), /absolute http\(s\) URL/, consentUrl);
  }
  assert.throws(() => new ConsentRequired('x', { consentUrl: 'https://a.example/', cause: 'upstream_gone' as ConsentCause }), /cause must be/);
  const ok = new ConsentRequired('x', { consentUrl: 'https://a.example/c', cause: 'scope_insufficient' });
  assert.equal(ok.status, 400);
  assert.equal(ok.error, 'consent_required');
});
