import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { ConsentRequiredError, createOAuthClient, createVerifier, OAuthClientError, TOKEN_EXCHANGE_GRANT, TokenError } from '@authplane/sdk';
import { authplane, confidentialClient, decodePayload, recordingFetch, RESOURCE_URI, userToken } from './fixture.js';
import { testClock } from '../helpers/clock.js';
import { getCode, redeem } from '../plugins/oauth/flow.js';

test('the OAuth client helpers against AuthPlane: client credentials, introspection, revocation', async (t) => {
  const fx = await authplane(t);
  const machine = await confidentialClient(fx);
  const client = createOAuthClient({ issuer: fx.url, ...machine });

  await t.test('client credentials returns a token for the resource and scope asked', async () => {
    const response = await client.clientCredentials({ scope: 'tools/read', resource: RESOURCE_URI });
    assert.equal(response.token_type, 'Bearer');
    assert.equal(response.scope, 'tools/read');
    const claims = decodePayload(response.access_token);
    assert.deepEqual(claims.aud, [RESOURCE_URI]);
    assert.equal(claims.client_id, machine.clientId);
    const postClient = await fx.createClient({
      client_name: 'Posting client',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'tools/read tools/write',
    });
    const posted = createOAuthClient({ issuer: fx.url, clientId: postClient.client_id, clientSecret: postClient.client_secret!, authMethod: 'client_secret_post' });
    assert.ok((await posted.clientCredentials({ scope: ['tools/read', 'tools/write'] })).access_token, 'client_secret_post works too');
  });

  await t.test('a wrong secret is an OAuthClientError invalid_client', async () => {
    const wrong = createOAuthClient({ issuer: fx.url, clientId: machine.clientId, clientSecret: 'not-the-secret' });
    const err = await wrong.clientCredentials().catch((e: unknown) => e);
    assert.ok(err instanceof OAuthClientError);
    assert.equal(err.error, 'invalid_client');
    assert.equal(err.status, 401);
  });

  await t.test('introspection says active until the token is revoked, then inactive', async () => {
    const { access_token: token } = await client.clientCredentials({ scope: 'tools/read', resource: RESOURCE_URI });
    const active = await client.introspect(token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, machine.clientId);
    assert.equal(active.scope, 'tools/read');
    await client.revoke(token, { tokenTypeHint: 'access_token' });
    assert.deepEqual(await client.introspect(token), { active: false });
  });
});

test('introspection mode refuses a revoked token that local verification still accepts', async (t) => {
  const fx = await authplane(t);
  const mcpServerClient = await confidentialClient(fx);
  const resource = 'https://notes.example.com/mcp';
  // AuthPlane answers introspection only to the token's client or to a client the resource runs as.
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({ slug: 'notes', display_name: 'Notes', uri: resource, scopes: [{ name: 'tools/read' }], policy: { runtime: { client_ids: [mcpServerClient.clientId] } } }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const token = await userToken(fx, { resource });
  const verifier = createVerifier({ issuer: fx.url, resource, logger: false, introspection: mcpServerClient });

  const checked = await verifier.verify(token, { introspect: true });
  assert.equal(checked.introspected, true);
  assert.equal(checked.sub, fx.userId);

  // The user's client revokes it (RFC 7009; a public client authenticates with its client_id only).
  await createOAuthClient({ issuer: fx.url, clientId: fx.clientId }).revoke(token);
  assert.equal((await verifier.verify(token)).sub, fx.userId, 'a JWT stays locally valid until it expires');
  const err = await verifier.verify(token, { introspect: true }).catch((e: unknown) => e);
  assert.ok(err instanceof TokenError);
  assert.equal(err.reason, 'inactive');
  assert.equal(err.code, 'invalid_token');
});

/**
 * A stand-in token endpoint that records the requests and answers in turn. Token exchange against AuthPlane itself:
 * test/plugins/token-exchange/sdk-client.test.ts; its consent_required: test/sdk/consent-required.test.ts.
 */
async function tokenEndpoint(t: TestContext, answers: { status: number; body: unknown }[]) {
  const requests: { headers: IncomingMessage['headers']; form: URLSearchParams }[] = [];
  const http = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` }));
        return;
      }
      requests.push({ headers: req.headers, form: new URLSearchParams(text) });
      const answer = answers.shift()!;
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => http.close(() => r())));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { issuer, requests };
}

test('token exchange sends the RFC 8693 request with actor_token and decodes consent_required', async (t) => {
  const endpoint = await tokenEndpoint(t, [
    { status: 200, body: { access_token: 'exchanged', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 300 } },
    {
      status: 400,
      body: {
        error: 'consent_required',
        error_description: 'connect your GitHub account first',
        consent_url: 'https://auth.example.com/connect/github?state=abc',
        cause: 'consent_missing',
      },
    },
  ]);
  const client = createOAuthClient({ issuer: endpoint.issuer, clientId: 'mcp-server', clientSecret: 's3cret value' });
  const request = { subjectToken: 'user-token', actorToken: 'server-token', resource: 'https://api.example.com/', scope: ['repo:read', 'repo:write'] };

  const exchanged = await client.tokenExchange(request);
  assert.equal(exchanged.access_token, 'exchanged');
  const { form, headers } = endpoint.requests[0]!;
  assert.deepEqual(Object.fromEntries(form), {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: 'user-token',
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    actor_token: 'server-token',
    actor_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    resource: 'https://api.example.com/',
    scope: 'repo:read repo:write',
  });
  assert.equal(headers.authorization, `Basic ${Buffer.from('mcp-server:s3cret+value').toString('base64')}`, 'RFC 6749 §2.3.1 form-encoding');

  const err = await client.tokenExchange(request).catch((e: unknown) => e);
  assert.ok(err instanceof ConsentRequiredError, String(err));
  assert.equal(err.consentUrl, 'https://auth.example.com/connect/github?state=abc');
  assert.equal(err.cause, 'consent_missing');
});

test('getToken keeps a client-credentials token per scope and resource and fetches the next one before it expires', async (t) => {
  const fx = await authplane(t);
  const machine = await confidentialClient(fx);
  const clock = testClock();
  const recorded = recordingFetch();
  const client = createOAuthClient({ issuer: fx.url, ...machine, now: clock.now, fetch: recorded.fetch, refreshBeforeExpirySec: 60 });
  const tokenCalls = () => recorded.urls.filter((u) => u.endsWith('/oauth/token')).length;

  const [first, concurrent] = await Promise.all([
    client.getToken({ scope: 'tools/read', resource: RESOURCE_URI }),
    client.getToken({ scope: ['tools/read'], resource: [RESOURCE_URI] }),
  ]);
  assert.equal(concurrent, first, 'concurrent callers share one request');
  assert.equal(tokenCalls(), 1);
  const claims = decodePayload(first);
  assert.deepEqual(claims.aud, [RESOURCE_URI]);
  const lifetimeMs = ((claims.exp as number) - (claims.iat as number)) * 1000;
  assert.ok(lifetimeMs > 120_000, `a lifetime the margin fits in (${lifetimeMs} ms)`);

  const wider = await client.getToken({ scope: 'tools/write tools/read', resource: RESOURCE_URI });
  assert.notEqual(wider, first, 'another scope set is another token');
  assert.deepEqual(String(decodePayload(wider).scope).split(' ').sort(), ['tools/read', 'tools/write']);
  assert.equal(tokenCalls(), 2);

  clock.advance(lifetimeMs - 61_000);
  assert.equal(await client.getToken({ scope: 'tools/read', resource: RESOURCE_URI }), first, 'still more than 60 s left: cached');
  assert.equal(tokenCalls(), 2);
  clock.advance(2_000);
  const next = await client.getToken({ scope: 'tools/read', resource: RESOURCE_URI });
  assert.notEqual(next, first, 'within 60 s of expiry: a new token');
  assert.notEqual(decodePayload(next).jti, claims.jti);
  assert.equal(tokenCalls(), 3);

  client.invalidate({ scope: 'tools/read', resource: RESOURCE_URI });
  assert.notEqual(await client.getToken({ scope: 'tools/read', resource: RESOURCE_URI }), next, 'invalidated: fetched again');
  assert.equal(tokenCalls(), 4);
});

test('refresh redeems a user refresh token at AuthPlane for a new access token and a rotated refresh token', async (t) => {
  const fx = await authplane(t);
  const { code, verifier } = await getCode(fx, { scope: 'tools/read', resource: RESOURCE_URI });
  const redeemed = await (await redeem(fx, code, verifier, { resource: RESOURCE_URI })).json();
  assert.equal(typeof redeemed.refresh_token, 'string', JSON.stringify(redeemed));
  const client = createOAuthClient({ issuer: fx.url, clientId: fx.clientId });
  const refreshed = await client.refresh(redeemed.refresh_token, { resource: RESOURCE_URI });
  assert.notEqual(refreshed.access_token, redeemed.access_token);
  assert.equal(decodePayload(refreshed.access_token).sub, fx.userId);
  assert.equal(typeof refreshed.refresh_token, 'string');
  assert.notEqual(refreshed.refresh_token, redeemed.refresh_token, 'rotated');
  const garbage = await client.refresh('not-a-refresh-token').catch((e: unknown) => e);
  assert.ok(garbage instanceof OAuthClientError, String(garbage));
  assert.equal(garbage.error, 'invalid_grant');
});

test('getToken renews with the cached refresh token when the server gave one, and falls back to client credentials when it is refused', async (t) => {
  const endpoint = await tokenEndpoint(t, [
    { status: 200, body: { access_token: 'first', token_type: 'Bearer', expires_in: 100, refresh_token: 'r1' } },
    { status: 200, body: { access_token: 'second', token_type: 'Bearer', expires_in: 100, refresh_token: 'r2' } },
    { status: 400, body: { error: 'invalid_grant' } },
    { status: 200, body: { access_token: 'third', token_type: 'Bearer', expires_in: 100 } },
  ]);
  const clock = testClock();
  const client = createOAuthClient({ issuer: endpoint.issuer, clientId: 'svc', clientSecret: 'secret', now: clock.now });
  assert.equal(await client.getToken({ scope: 'api' }), 'first');
  // A 100 s token: the 60 s margin is capped at half its lifetime, so renewal comes after 50 s.
  clock.advance(49_000);
  assert.equal(await client.getToken({ scope: 'api' }), 'first');
  clock.advance(2_000);
  assert.equal(await client.getToken({ scope: 'api' }), 'second');
  clock.advance(51_000);
  assert.equal(await client.getToken({ scope: 'api' }), 'third');
  assert.deepEqual(
    endpoint.requests.map(({ form }) => [form.get('grant_type'), form.get('refresh_token'), form.get('scope')]),
    [
      ['client_credentials', null, 'api'],
      ['refresh_token', 'r1', 'api'],
      ['refresh_token', 'r2', 'api'],
      ['client_credentials', null, 'api'],
    ],
  );
});
