import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createOAuthClient } from '@authplane/sdk';
import { authplane, confidentialClient, forge, goodClaims, userToken } from './fixture.js';
import { scriptedProvider, startSdkProtectedMcp } from './mcp.js';
import { freePort } from '../helpers/server.js';

const rpc = (method: string, params: Record<string, unknown> = {}) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
const mcpHeaders = (token?: string): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

test('the MCP adapter serves Protected Resource Metadata and challenges at the MCP endpoint', async (t) => {
  const fx = await authplane(t);
  const mcp = await startSdkProtectedMcp(t, fx);
  const origin = new URL(mcp.url).origin;
  const prmUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;

  await t.test('the metadata document sits at the path derived from the resource and has the RFC 9728 members', async () => {
    assert.equal(mcp.auth.resourceMetadataUrl, prmUrl);
    const response = await fetch(prmUrl);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /application\/json/);
    const doc = await response.json();
    assert.equal(doc.resource, mcp.url);
    assert.deepEqual(doc.authorization_servers, [fx.url]);
    assert.deepEqual(doc.scopes_supported, ['tools/read', 'tools/write', 'tools/admin']);
    assert.deepEqual(doc.bearer_methods_supported, ['header']);
    assert.ok(Array.isArray(doc.dpop_signing_alg_values_supported));
    assert.equal((await fetch(`${origin}/.well-known/oauth-protected-resource/other`)).status, 404);
  });

  await t.test('a request without a token gets 401 pointing at the metadata with the base scope', async () => {
    const response = await fetch(mcp.url, { method: 'POST', headers: mcpHeaders(), body: rpc('tools/list') });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), `Bearer resource_metadata="${prmUrl}", scope="tools/read"`);
  });

  await t.test('bad tokens get 401 invalid_token challenges: wrong audience, expired, tampered', async () => {
    const foreign = await userToken(fx); // for https://mcp.example.com/mcp, not this server
    const expired = await forge(fx, goodClaims(fx, { aud: [mcp.url], exp: Math.floor(Date.now() / 1000) - 60 }));
    const good = await forge(fx, goodClaims(fx, { aud: [mcp.url] }));
    const tampered = `${good.slice(0, -4)}${good.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    for (const token of [foreign, expired, tampered]) {
      const response = await fetch(mcp.url, { method: 'POST', headers: mcpHeaders(token), body: rpc('tools/list') });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate')!, new RegExp(`^Bearer resource_metadata="${prmUrl}", scope="tools/read", error="invalid_token"`));
      assert.equal((await response.json()).error, 'invalid_token');
    }
  });

  await t.test('a tool listed in toolScopes is refused with a 403 step-up before the server runs it', async () => {
    const token = await forge(fx, goodClaims(fx, { aud: [mcp.url], scope: 'tools/read' }));
    const response = await fetch(mcp.url, { method: 'POST', headers: mcpHeaders(token), body: rpc('tools/call', { name: 'admin_reset', arguments: {} }) });
    assert.equal(response.status, 403);
    assert.equal(
      response.headers.get('www-authenticate'),
      `Bearer resource_metadata="${prmUrl}", scope="tools/read tools/admin", error="insufficient_scope", error_description="this call needs the scope tools/admin"`,
    );
  });

  await t.test('a requireScope tool called without its scope is a 403 step-up and its handler never runs', async () => {
    const token = await forge(fx, goodClaims(fx, { aud: [mcp.url], scope: 'tools/read' }));
    const response = await fetch(mcp.url, {
      method: 'POST',
      headers: mcpHeaders(token),
      body: rpc('tools/call', { name: 'write', arguments: { text: 'x' } }),
    });
    assert.equal(response.status, 403);
    assert.match(response.headers.get('www-authenticate')!, /scope="tools\/read tools\/write", error="insufficient_scope"/);
    assert.equal(mcp.writes(), 0);
    const allowed = await forge(fx, goodClaims(fx, { aud: [mcp.url], scope: 'tools/read tools/write' }));
    const ok = await fetch(mcp.url, { method: 'POST', headers: mcpHeaders(allowed), body: rpc('tools/call', { name: 'write', arguments: { text: 'x' } }) });
    assert.equal(ok.status, 200);
    assert.deepEqual((await ok.json()).result.content, [{ type: 'text', text: 'wrote x' }]);
    assert.equal(mcp.writes(), 1);
  });
});

test('the official MCP SDK client steps up: a 403 insufficient_scope makes it re-authorize for the wider scope', async (t) => {
  const fx = await authplane(t);
  const mcp = await startSdkProtectedMcp(t, fx);
  // No refresh token: with one, the SDK client (1.32) refreshes first, which cannot widen the scope.
  const client = await fx.createClient({ client_name: 'Step-up client', grant_types: ['authorization_code'], scope: 'tools/read tools/write' });
  const { provider, state } = scriptedProvider(fx, client.client_id);

  // 1. No token: 401 → PRM → authorization for the base scope named in the challenge.
  const first = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
  await assert.rejects(new Client({ name: 'sdk-test', version: '1.0.0' }).connect(first), UnauthorizedError);
  assert.equal(state.authorizationUrls[0]!.searchParams.get('scope'), 'tools/read');
  assert.equal(state.authorizationUrls[0]!.searchParams.get('resource'), mcp.url);
  await first.finishAuth(state.code!);
  assert.equal(state.tokens?.scope, 'tools/read');

  const transport = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
  const mcpClient = new Client({ name: 'sdk-test', version: '1.0.0' });
  await mcpClient.connect(transport);
  t.after(() => mcpClient.close());
  assert.deepEqual((await mcpClient.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: fx.userId }]);

  // 2. The write tool needs tools/write: 403 insufficient_scope → the client re-authorizes for both scopes.
  await assert.rejects(mcpClient.callTool({ name: 'write', arguments: { text: 'hello' } }), UnauthorizedError);
  assert.equal(state.authorizationUrls.length, 2, 'a second authorization was started');
  assert.equal(state.authorizationUrls[1]!.searchParams.get('scope'), 'tools/read tools/write');
  assert.equal(mcp.writes(), 0);
  await transport.finishAuth(state.code!);
  assert.equal(state.tokens?.scope, 'tools/read tools/write');

  // 3. With the wider token the same call goes through.
  const result = await mcpClient.callTool({ name: 'write', arguments: { text: 'hello' } });
  assert.deepEqual(result.content, [{ type: 'text', text: 'wrote hello' }]);
  assert.equal(mcp.writes(), 1);
});

test('introspection for a revocation-sensitive tool refuses a revoked token there while other tools still accept it', async (t) => {
  const fx = await authplane(t);
  const runtime = await confidentialClient(fx);
  const mcp = await startSdkProtectedMcp(t, fx, { introspect: ['write'], introspection: runtime, policy: { runtime: { client_ids: [runtime.clientId] } } });
  const token = await userToken(fx, { resource: mcp.url, scope: 'tools/read tools/write' });
  const callTool = (name: string, args: Record<string, unknown> = {}) =>
    fetch(mcp.url, { method: 'POST', headers: mcpHeaders(token), body: rpc('tools/call', { name, arguments: args }) });
  assert.equal((await callTool('write', { text: 'before' })).status, 200);
  await createOAuthClient({ issuer: fx.url, clientId: fx.clientId }).revoke(token);
  const refused = await callTool('write', { text: 'after' });
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate')!, /error="invalid_token", error_description="the token is not active"/);
  assert.equal(mcp.writes(), 1);
  assert.equal((await callTool('whoami')).status, 200, 'tools not listed are verified locally only');
});

test('the MCP adapter answers an issuer option that differs from the metadata as a mismatch naming both, not as unreachable', async (t) => {
  const fx = await authplane(t);
  // The usual slip: the issuer with a trailing slash. AuthPlane answers, and its metadata names `fx.url`.
  const mcp = await startSdkProtectedMcp(t, fx, { issuer: `${fx.url}/` });
  const token = await forge(fx, goodClaims(fx, { aud: [mcp.url] }));
  const response = await fetch(mcp.url, { method: 'POST', headers: mcpHeaders(token), body: rpc('tools/list') });
  assert.equal(response.status, 500);
  assert.equal(response.headers.get('retry-after'), null, 'retrying cannot help');
  const body = (await response.json()) as { error: string; error_description: string };
  assert.equal(body.error, 'server_error');
  assert.equal(
    body.error_description,
    `issuer mismatch: the authorization server's metadata names issuer "${fx.url}", this server is configured with "${fx.url}/"`,
  );
  const authenticated = await mcp.auth.authenticate(new Request(mcp.url, { method: 'POST', headers: mcpHeaders(token) }));
  assert.deepEqual(authenticated.ok ? undefined : [authenticated.status, authenticated.body], [500, body]);

  // An authorization server that does not answer at all is still that: 503, retry later.
  const down = await startSdkProtectedMcp(t, fx, { slug: 'sdk-mcp-down', issuer: `http://127.0.0.1:${await freePort()}` });
  const unreachable = await fetch(down.url, { method: 'POST', headers: mcpHeaders(token), body: rpc('tools/list') });
  assert.equal(unreachable.status, 503);
  assert.equal(unreachable.headers.get('retry-after'), '5');
  assert.deepEqual(await unreachable.json(), { error: 'temporarily_unavailable', error_description: 'the authorization server cannot be reached' });
});
