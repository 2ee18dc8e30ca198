/**
 * The upstream client against loopback token endpoints answering as GitHub, Google and Slack do (success and error
 * shapes), with providers created from the recipes of docs/broker.md pointed at them.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { authorizeUrl } from '../../../plugins/broker/authorize-url.js';
import { UpstreamClient } from '../../../plugins/broker/upstream-client.js';
import { UpstreamError, type UpstreamFailure } from '../../../plugins/broker/upstream-error.js';
import type { OAuthProvider, ServiceAccountProvider } from 'authplane/plugins';
import { createProvider, startBrokerServer, startTokenEndpoint, type TokenEndpoint } from './setup.js';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
// A secret with characters RFC 6749 §2.3.1 form-encodes before Basic authentication.
const SECRETS: Record<string, string> = { GITHUB_CLIENT_SECRET: 'gh-secret', GOOGLE_CLIENT_SECRET: 'go+og/le secret=1', SLACK_CLIENT_SECRET: 'slack-secret' };
const REDIRECT_URI = 'https://auth.example.com/connect/x/callback';

async function setup(t: TestContext) {
  const endpoint = await startTokenEndpoint(t);
  const server = await startBrokerServer(t, { broker: { outbound: { allowPrivateAddresses: true } } });
  const upstream = new UpstreamClient({
    outbound: { timeoutMs: 30_000, maxResponseBytes: 65536, allowPrivateAddresses: true },
    environmentVariable: (name) => SECRETS[name],
    now: () => NOW,
  });
  return { endpoint, server, upstream };
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof UpstreamError, `expected an UpstreamError, got ${String(err)}`);
  return err;
}

function assertFailure(err: UpstreamError, reason: UpstreamFailure, upstreamError?: string) {
  assert.equal(err.reason, reason, err.message);
  assert.equal(err.upstreamError, upstreamError, err.message);
}

/** The GitHub recipe of docs/broker.md, its token endpoint on loopback. */
const github = (endpoint: TokenEndpoint, path: string) => ({
  slug: 'github',
  display_name: 'GitHub',
  protocol: 'oauth',
  config: {
    client_id: 'Iv1.0123456789abcdef',
    client_secret_ref: 'GITHUB_CLIENT_SECRET',
    authorize_url: 'https://github.com/login/oauth/authorize',
    token_url: `${endpoint.origin}${path}`,
    default_scopes: ['repo', 'read:org'],
    response_quirk: 'github',
    token_auth_method: 'client_secret_post',
  },
});

test('GitHub-shaped answers: JSON or form-encoded tokens, comma-separated scopes, expiring user tokens, errors at 200', async (t) => {
  const { endpoint, server, upstream } = await setup(t);
  const provider = await createProvider(server, github(endpoint, '/login/oauth/access_token'));
  const answers: { type: string; body: string; status?: number }[] = [];
  endpoint.route('/login/oauth/access_token', (_req, res) => {
    const next = answers.shift()!;
    res.writeHead(next.status ?? 200, { 'content-type': next.type }).end(next.body);
  });
  const json = (body: unknown) => answers.push({ type: 'application/json; charset=utf-8', body: JSON.stringify(body) });
  const exchange = () => upstream.exchangeCode(provider, { code: 'gh-code', codeVerifier: 'gh-verifier', redirectUri: REDIRECT_URI, scopes: ['repo'] });

  json({ access_token: 'gho_classic', token_type: 'bearer', scope: 'repo,read:org' });
  assert.deepEqual(await exchange(), { access_token: 'gho_classic', token_type: 'Bearer', scopes: ['repo', 'read:org'] });
  const sent = endpoint.received.at(-1)!;
  assert.equal(sent.method, 'POST');
  assert.equal(sent.headers.accept, 'application/json');
  assert.equal(sent.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(sent.headers.authorization, undefined, 'client_secret_post: no Basic header');
  assert.deepEqual(sent.form, {
    grant_type: 'authorization_code',
    code: 'gh-code',
    redirect_uri: REDIRECT_URI,
    code_verifier: 'gh-verifier',
    client_id: 'Iv1.0123456789abcdef',
    client_secret: 'gh-secret',
  });

  answers.push({ type: 'application/x-www-form-urlencoded; charset=utf-8', body: 'access_token=gho_form&scope=repo%2Cgist&token_type=bearer' });
  assert.deepEqual(await exchange(), { access_token: 'gho_form', token_type: 'Bearer', scopes: ['repo', 'gist'] });

  // A GitHub App with expiring user tokens: expires_in and a refresh token (numbers as text when form-encoded).
  answers.push({ type: 'application/x-www-form-urlencoded', body: 'access_token=ghu_1&expires_in=28800&refresh_token=ghr_1&refresh_token_expires_in=15811200&scope=&token_type=bearer' });
  assert.deepEqual(await exchange(), { access_token: 'ghu_1', token_type: 'Bearer', scopes: [], refresh_token: 'ghr_1', expires_at: NOW + 28800 * 1000 });
  json({ access_token: 'ghu_2', expires_in: 28800, refresh_token: 'ghr_2', token_type: 'bearer', scope: '' });
  const refreshed = await upstream.refresh(provider, 'ghr_1');
  assert.equal(refreshed.refresh_token, 'ghr_2');
  assert.equal(refreshed.refresh_token_rotated, true);
  assert.deepEqual(endpoint.received.at(-1)!.form, { grant_type: 'refresh_token', refresh_token: 'ghr_1', client_id: 'Iv1.0123456789abcdef', client_secret: 'gh-secret' });

  json({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.', error_uri: 'https://docs.github.com/apps' });
  const badCode = await failure(exchange());
  assertFailure(badCode, 'invalid_grant', 'bad_verification_code');
  assert.equal(badCode.status, 200, 'GitHub answers its errors with 200');
  assert.equal(badCode.message, "provider 'github' refused the token request: bad_verification_code (The code passed is incorrect or expired.)");
  json({ error: 'bad_refresh_token', error_description: 'The refresh token passed is incorrect or expired.' });
  assert.equal((await failure(upstream.refresh(provider, 'ghr_1'))).grantGone, true);
  answers.push({ type: 'application/x-www-form-urlencoded', body: 'error=incorrect_client_credentials&error_description=The+client_id+and%2For+client_secret+passed+are+incorrect.' });
  assertFailure(await failure(exchange()), 'invalid_client', 'incorrect_client_credentials');
  json({ error: 'redirect_uri_mismatch' });
  assertFailure(await failure(exchange()), 'upstream_error', 'redirect_uri_mismatch');
});

test('Google-shaped answers: a refresh without refresh_token keeps the old one, and RFC 6749 errors map to their reasons', async (t) => {
  const { endpoint, server, upstream } = await setup(t);
  const provider = await createProvider(server, {
    slug: 'google',
    display_name: 'Google',
    protocol: 'oauth',
    config: {
      client_id: '1234.apps.googleusercontent.com',
      client_secret_ref: 'GOOGLE_CLIENT_SECRET',
      authorize_url: 'https://accounts.google.com/o/oauth2/v2/auth',
      token_url: `${endpoint.origin}/token`,
      authorize_params: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
      default_scopes: ['openid', 'email', 'https://www.googleapis.com/auth/drive.readonly'],
    },
  });
  const answers: [number, unknown][] = [];
  endpoint.route('/token', (_req, res) => {
    const [status, body] = answers.shift()!;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  });

  answers.push([200, { access_token: 'ya29.first', expires_in: 3599, refresh_token: '1//first', scope: 'openid https://www.googleapis.com/auth/drive.readonly', token_type: 'Bearer', id_token: 'eyJ.x.y' }]);
  const tokens = await upstream.exchangeCode(provider, { code: '4/code', codeVerifier: 'v'.repeat(43), redirectUri: REDIRECT_URI });
  assert.deepEqual(tokens, {
    access_token: 'ya29.first',
    token_type: 'Bearer',
    scopes: ['openid', 'https://www.googleapis.com/auth/drive.readonly'],
    refresh_token: '1//first',
    expires_at: NOW + 3599 * 1000,
  });
  // client_secret_basic (the default): client id and secret form-encoded, then joined (RFC 6749 §2.3.1).
  const basic = Buffer.from(endpoint.received.at(-1)!.headers.authorization!.replace(/^Basic /, ''), 'base64').toString();
  assert.equal(basic, '1234.apps.googleusercontent.com:go%2Bog%2Fle+secret%3D1');
  assert.equal(endpoint.received.at(-1)!.form.client_secret, undefined);

  answers.push([200, { access_token: 'ya29.second', expires_in: 3599, scope: 'openid https://www.googleapis.com/auth/drive.readonly', token_type: 'Bearer' }]);
  const refreshed = await upstream.refresh(provider, '1//first', { grantedScopes: tokens.scopes });
  assert.equal(refreshed.access_token, 'ya29.second');
  assert.equal(refreshed.refresh_token, '1//first', 'the old refresh token stays the grant');
  assert.equal(refreshed.refresh_token_rotated, false);
  answers.push([200, { access_token: 'ya29.third', expires_in: 3599, token_type: 'Bearer' }]);
  assert.deepEqual((await upstream.refresh(provider, '1//first', { grantedScopes: tokens.scopes })).scopes, tokens.scopes, 'no scope in the answer: the granted ones');

  answers.push([400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }]);
  const revoked = await failure(upstream.refresh(provider, '1//first'));
  assertFailure(revoked, 'invalid_grant', 'invalid_grant');
  assert.equal(revoked.message, "provider 'google' refused the token request: invalid_grant (Token has been expired or revoked.)");
  answers.push([401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }]);
  assertFailure(await failure(upstream.refresh(provider, '1//first')), 'invalid_client', 'invalid_client');
  answers.push([400, { error: 'invalid_scope' }]);
  assertFailure(await failure(upstream.refresh(provider, '1//first')), 'upstream_error', 'invalid_scope');

  const url = new URL(authorizeUrl(provider, { redirectUri: REDIRECT_URI, state: 's1', codeChallenge: 'c'.repeat(43) }));
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    access_type: 'offline',
    prompt: 'consent',
    include_granted_scopes: 'true',
    response_type: 'code',
    client_id: '1234.apps.googleusercontent.com',
    redirect_uri: REDIRECT_URI,
    state: 's1',
    scope: 'openid email https://www.googleapis.com/auth/drive.readonly',
    code_challenge: 'c'.repeat(43),
    code_challenge_method: 'S256',
  });
});

test('Slack-shaped answers: the user token under authed_user, a refreshed user token at the top level, errors as ok:false at 200', async (t) => {
  const { endpoint, server, upstream } = await setup(t);
  const provider = await createProvider<OAuthProvider>(server, {
    slug: 'slack',
    display_name: 'Slack',
    protocol: 'oauth',
    config: {
      client_id: '1234567890.0987654321',
      client_secret_ref: 'SLACK_CLIENT_SECRET',
      authorize_url: 'https://slack.com/oauth/v2/authorize',
      token_url: `${endpoint.origin}/api/oauth.v2.access`,
      default_scopes: ['channels:history', 'chat:write'],
      scope_separator: ',',
      response_quirk: 'slack',
      token_auth_method: 'client_secret_post',
    },
  });
  const answers: unknown[] = [];
  endpoint.route('/api/oauth.v2.access', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answers.shift()));
  });
  const exchange = () => upstream.exchangeCode(provider, { code: 'slack-code', codeVerifier: 'w'.repeat(43), redirectUri: REDIRECT_URI });

  answers.push({
    ok: true,
    app_id: 'A0KRD7HC3',
    access_token: 'xoxb-bot-token',
    token_type: 'bot',
    scope: 'commands,incoming-webhook',
    bot_user_id: 'U0KRQLJ9H',
    team: { id: 'T9TK3CUKW', name: 'Slack Softball Team' },
    authed_user: { id: 'U1234', scope: 'channels:history,chat:write', access_token: 'xoxe.xoxp-user-token', token_type: 'user', refresh_token: 'xoxe-1-first', expires_in: 43200 },
  });
  assert.deepEqual(await exchange(), {
    access_token: 'xoxe.xoxp-user-token',
    token_type: 'Bearer',
    scopes: ['channels:history', 'chat:write'],
    refresh_token: 'xoxe-1-first',
    expires_at: NOW + 43200 * 1000,
  });

  answers.push({ ok: true, app_id: 'A0KRD7HC3', access_token: 'xoxe.xoxp-refreshed', token_type: 'user', scope: 'channels:history,chat:write', refresh_token: 'xoxe-1-second', expires_in: 43200 });
  const refreshed = await upstream.refresh(provider, 'xoxe-1-first');
  assert.equal(refreshed.access_token, 'xoxe.xoxp-refreshed');
  assert.equal(refreshed.refresh_token, 'xoxe-1-second');
  assert.equal(refreshed.refresh_token_rotated, true);

  answers.push({ ok: false, error: 'invalid_code' });
  const invalidCode = await failure(exchange());
  assertFailure(invalidCode, 'invalid_grant', 'invalid_code');
  assert.equal(invalidCode.status, 200);
  answers.push({ ok: false, error: 'invalid_refresh_token' });
  assertFailure(await failure(upstream.refresh(provider, 'xoxe-1-first')), 'invalid_grant', 'invalid_refresh_token');
  answers.push({ ok: false, error: 'bad_client_secret' });
  assertFailure(await failure(exchange()), 'invalid_client', 'bad_client_secret');
  answers.push({ ok: false });
  assertFailure(await failure(exchange()), 'upstream_error', 'unknown_error');
  // Bot scopes only: no token acting for the user, which is what a broker vends.
  answers.push({ ok: true, access_token: 'xoxb-bot-only', token_type: 'bot', scope: 'commands' });
  const botOnly = await failure(exchange());
  assertFailure(botOnly, 'bad_response');
  assert.match(botOnly.message, /no user token \(authed_user\)/);

  // The user's scopes go in user_scope, comma-separated: Slack's `scope` asks for a bot token.
  const url = new URL(authorizeUrl(provider, { redirectUri: REDIRECT_URI, state: 's', codeChallenge: 'c'.repeat(43), scopes: ['channels:history', 'chat:write'] }));
  assert.equal(url.searchParams.get('user_scope'), 'channels:history,chat:write');
  assert.equal(url.searchParams.get('scope'), null);
});

test('answers that are not token responses are bad_response or upstream_error, and an unset secret variable makes no request', async (t) => {
  const { endpoint, server, upstream } = await setup(t);
  const provider = await createProvider(server, {
    ...github(endpoint, '/token'),
    slug: 'generic',
    config: { ...github(endpoint, '/token').config, response_quirk: 'none' },
  });
  const answers: [number, string, string][] = [];
  endpoint.route('/token', (_req, res) => {
    const [status, type, body] = answers.shift()!;
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  const exchange = () => upstream.exchangeCode(provider, { code: 'c', redirectUri: REDIRECT_URI });
  const cases: [[number, string, string], UpstreamFailure, RegExp][] = [
    [[500, 'text/html', '<h1>oops</h1>'], 'upstream_error', /token endpoint answered 500$/],
    [[200, 'text/html', '<h1>hello</h1>'], 'bad_response', /answered text\/html, not a JSON token response/],
    [[200, 'application/x-www-form-urlencoded', 'access_token=x'], 'bad_response', /not a JSON token response/],
    [[200, 'application/json', '{"access_token":'], 'bad_response', /not a JSON token response/],
    [[200, 'application/json', '["x"]'], 'bad_response', /not a JSON token response/],
    [[200, 'application/json', '{"token_type":"bearer"}'], 'bad_response', /without an access_token/],
    [[200, 'application/json', '{"access_token":"x","expires_in":"soon"}'], 'bad_response', /expires_in that is not a number/],
    [[503, 'application/json', '{"message":"maintenance"}'], 'upstream_error', /answered 503/],
  ];
  for (const [answer, reason, message] of cases) {
    answers.push(answer);
    const err = await failure(exchange());
    assert.equal(err.reason, reason, `${answer.join(' ')}: ${err.message}`);
    assert.match(err.message, message);
  }

  const before = endpoint.received.length;
  const unset = new UpstreamClient({ outbound: { timeoutMs: 30_000, maxResponseBytes: 65536, allowPrivateAddresses: true }, environmentVariable: () => undefined, now: () => NOW });
  const misconfigured = await failure(unset.exchangeCode(provider, { code: 'c', redirectUri: REDIRECT_URI }));
  assert.equal(misconfigured.reason, 'misconfigured');
  assert.equal(misconfigured.message, "provider 'generic': the variable GITHUB_CLIENT_SECRET holding its client secret is not set");
  assert.equal(endpoint.received.length, before, 'nothing was sent');
});

test('an upstream error that echoes what was sent is quoted with the secret, code, verifier and refresh token redacted', async (t) => {
  const { endpoint, server, upstream } = await setup(t);
  const provider = await createProvider(server, github(endpoint, '/echo'));
  endpoint.route('/echo', (_req, res, form) => {
    const echoed = Object.values(form).join(' | ');
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request', error_description: `received ${echoed}\n` }));
  });
  const code = 'code-5f8e1b';
  const verifier = 'verifier-0c9d2a7e';
  const exchanged = await failure(upstream.exchangeCode(provider, { code, codeVerifier: verifier, redirectUri: REDIRECT_URI }));
  const refreshed = await failure(upstream.refresh(provider, 'refresh-token-77ab21'));
  for (const err of [exchanged, refreshed]) {
    assert.match(err.message, /\[redacted\]/);
    for (const secret of ['gh-secret', code, verifier, 'refresh-token-77ab21']) assert.ok(!err.message.includes(secret), `${secret} in ${err.message}`);
    assert.ok(!/[\n\r]/.test(err.message), 'control characters are dropped');
  }
  assert.match(exchanged.message, /received authorization_code \| \[redacted\] \| https:\/\/auth\.example\.com/);
});

test('a service_account provider gets its own tokens with the client credentials grant', async (t) => {
  const { endpoint, server, upstream } = await setup(t);
  const account = await createProvider<ServiceAccountProvider>(server, {
    slug: 'billing',
    display_name: 'Billing API',
    protocol: 'service_account',
    config: { client_id: 'authplane', client_secret_ref: 'GITHUB_CLIENT_SECRET', token_url: endpoint.json('/oauth/token', { access_token: 'svc-1', token_type: 'Bearer', expires_in: 300 }), default_scopes: ['invoices:read', 'invoices:list'] },
  });
  assert.deepEqual(await upstream.clientCredentials(account), {
    access_token: 'svc-1',
    token_type: 'Bearer',
    scopes: ['invoices:read', 'invoices:list'],
    expires_at: NOW + 300 * 1000,
  });
  const sent = endpoint.received.at(-1)!;
  assert.deepEqual(sent.form, { grant_type: 'client_credentials', scope: 'invoices:read invoices:list' });
  assert.equal(sent.headers.authorization, `Basic ${Buffer.from('authplane:gh-secret').toString('base64')}`);
  await upstream.clientCredentials(account, ['invoices:read']);
  assert.equal(endpoint.received.at(-1)!.form.scope, 'invoices:read');
});
