import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrmHandler, protectedResourceMetadataPath, protectedResourceMetadataUrl, wwwAuthenticate, TokenError, parseAuthorization } from '@authplane/sdk';

test('the metadata path is derived from the resource as RFC 9728 §3.1 says', () => {
  assert.equal(protectedResourceMetadataPath('https://mcp.example.com/mcp'), '/.well-known/oauth-protected-resource/mcp');
  assert.equal(protectedResourceMetadataPath('https://mcp.example.com/mcp/'), '/.well-known/oauth-protected-resource/mcp');
  assert.equal(protectedResourceMetadataPath('https://mcp.example.com/a/b'), '/.well-known/oauth-protected-resource/a/b');
  assert.equal(protectedResourceMetadataPath('https://mcp.example.com'), '/.well-known/oauth-protected-resource');
  assert.equal(protectedResourceMetadataPath('https://mcp.example.com/'), '/.well-known/oauth-protected-resource');
  assert.equal(protectedResourceMetadataPath('https://mcp.example.com/mcp?tenant=a'), '/.well-known/oauth-protected-resource/mcp?tenant=a');
  assert.equal(protectedResourceMetadataUrl('https://MCP.example.com:443/mcp'), 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp');
});

test('the metadata handler answers its path with the RFC 9728 document and leaves other paths alone', async () => {
  const prm = createPrmHandler({
    issuer: 'https://auth.example.com',
    resource: 'https://mcp.example.com/mcp',
    scopesSupported: ['tools/read', 'tools/write'],
    resourceName: 'Example',
    dpop: { algorithms: ['ES256'], required: true },
  });
  const response = prm.fetch(new Request('https://mcp.example.com/.well-known/oauth-protected-resource/mcp'));
  assert.ok(response);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), '*');
  assert.deepEqual(await response.json(), {
    resource: 'https://mcp.example.com/mcp',
    authorization_servers: ['https://auth.example.com'],
    scopes_supported: ['tools/read', 'tools/write'],
    bearer_methods_supported: ['header'],
    resource_name: 'Example',
    dpop_signing_alg_values_supported: ['ES256'],
    dpop_bound_access_tokens_required: true,
  });
  assert.equal(prm.fetch(new Request('https://mcp.example.com/mcp')), undefined);
  assert.equal(prm.fetch(new Request('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', { method: 'POST' }))?.status, 405);
});

test('challenge values are quoted safely and name the scheme of the refusal', () => {
  const err = new TokenError('dpop_replay', 'a "quoted"\nmessage', { code: 'invalid_dpop_proof', scheme: 'DPoP' });
  assert.equal(
    wwwAuthenticate(err, { resourceMetadataUrl: 'https://m/x', dpopAlgorithms: ['ES256'] }),
    `DPoP resource_metadata="https://m/x", error="invalid_dpop_proof", error_description="a 'quoted' message", algs="ES256"`,
  );
});

test('the Authorization header is read as Bearer or DPoP and anything else is an invalid request', () => {
  assert.deepEqual(parseAuthorization('Bearer abc.def.ghi'), { scheme: 'Bearer', token: 'abc.def.ghi' });
  assert.deepEqual(parseAuthorization('dpop abc.def.ghi'), { scheme: 'DPoP', token: 'abc.def.ghi' });
  for (const value of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Bearer "x"']) {
    assert.throws(() => parseAuthorization(value), (e: unknown) => e instanceof TokenError && e.code === 'invalid_request' && e.status === 400, value);
  }
  assert.throws(() => parseAuthorization(undefined), (e: unknown) => e instanceof TokenError && e.reason === 'missing_token' && e.code === undefined);
});
