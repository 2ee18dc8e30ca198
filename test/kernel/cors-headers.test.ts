import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuthPlane, BootError, definePlugin, type RegisterApi } from 'authplane';
import { dpop } from 'authplane/plugins';
import { basePlugins, startServer, tempDir } from '../helpers/server.js';

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

function bootError(fn: () => unknown): BootError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BootError, `a BootError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected boot to be refused');
}

test('a CORS header that is not a header name stops boot, naming the plugin and the value', (t) => {
  const dir = tempDir(t);
  const bad = definePlugin({ name: 'bad-cors', register: (api) => api.corsHeaders({ expose: ['X-Fine', 'Bad Header'] }) });
  const err = bootError(
    () =>
      new AuthPlane(
        { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') }, plugins: [...basePlugins(), bad()] },
        { env: {}, logLevel: 'silent' },
      ),
  );
  assert.equal(err.code, 'AP_ERR_CORS_HEADER');
  assert.match(err.message, /'bad-cors' asked CORS to expose "Bad Header"/);
});

test('CORS headers are added in register, not later', async (t) => {
  let lateApi: RegisterApi | undefined;
  const late = definePlugin({
    name: 'late-cors',
    register(api) {
      lateApi = api;
    },
  });
  await startServer(t, { plugins: [late()] });
  const err = bootError(() => lateApi!.corsHeaders({ allow: ['X-Late'] }));
  assert.equal(err.code, 'AP_ERR_REGISTRY_FROZEN');
  assert.match(err.message, /'late-cors'/);
});
