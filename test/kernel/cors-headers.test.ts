import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definePlugin } from 'authplane';
import { dpop } from 'authplane/plugins';
import { startServer } from '../helpers/server.js';

const ORIGIN = 'https://app.example.com';

const preflight = (url: string) =>
  fetch(`${url}/oauth/token`, {
    method: 'OPTIONS',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'dpop' },
  });

test('the dpop plugin lets browser clients send DPoP and read DPoP-Nonce on the CORS endpoints', async (t) => {
  const { url } = await startServer(t, { plugins: [dpop()], config: { server: { allowedOrigins: [ORIGIN] } } });
  const answer = await preflight(url);
  assert.equal(answer.status, 204);
  assert.equal(answer.headers.get('access-control-allow-headers'), 'Authorization, Content-Type, MCP-Protocol-Version, X-Request-ID, DPoP');
  const jwks = await fetch(`${url}/.well-known/jwks.json`, { headers: { origin: ORIGIN } });
  assert.equal(jwks.headers.get('access-control-expose-headers'), 'WWW-Authenticate, Retry-After, X-Request-ID, DPoP-Nonce');
});

test("a user's plugin adds CORS headers; a name the kernel or another plugin already lists is not repeated", async (t) => {
  const attestation = definePlugin({
    name: 'client-attestation',
    register(api) {
      api.corsHeaders({ allow: ['OAuth-Client-Attestation', 'authorization', 'dpop'], expose: ['OAuth-Client-Attestation-Challenge'] });
    },
  });
  const { url } = await startServer(t, { plugins: [dpop(), attestation()], config: { server: { allowedOrigins: [ORIGIN] } } });
  const answer = await preflight(url);
  assert.equal(
    answer.headers.get('access-control-allow-headers'),
    'Authorization, Content-Type, MCP-Protocol-Version, X-Request-ID, DPoP, OAuth-Client-Attestation',
  );
  const token = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { origin: ORIGIN } });
  assert.equal(token.status, 401, 'no client authentication: an OAuth error, still with CORS headers');
  assert.equal(
    token.headers.get('access-control-expose-headers'),
    'WWW-Authenticate, Retry-After, X-Request-ID, DPoP-Nonce, OAuth-Client-Attestation-Challenge',
  );
});
