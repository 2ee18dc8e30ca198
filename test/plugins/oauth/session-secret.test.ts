/**
 * AUTHPLANE_SESSION_SECRET belongs to the plugins that key something with it (oauth: login sessions; dpop: nonces,
 * when required), not to the kernel: a server without them starts on a public issuer without the secret.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientCredentials, clients, dpop, oauth, resources, users } from 'authplane/plugins';
import { startServer } from '../../helpers/server.js';

const PUBLIC_ISSUER = { AUTHPLANE_SERVER_ISSUER: 'https://auth.example.com' };
const STRONG_SECRET = 'Vq3nX8pL2sK9dR4tW7yB1cM6hJ5gF0aZ';

function refusedFor(code: string, line: string) {
  return (err: unknown) => {
    const { code: got, message } = err as { code?: string; message?: string };
    assert.equal(got, code, String(message));
    assert.ok(message?.includes(line), `message names the problem: ${message}`);
    return true;
  };
}

test('a client_credentials-only server on a public issuer starts without AUTHPLANE_SESSION_SECRET', async (t) => {
  const { url, logs } = await startServer(t, { plugins: [clients(), resources(), clientCredentials()], env: PUBLIC_ISSUER });
  const discovery = await fetch(`${url}/.well-known/oauth-authorization-server`);
  assert.equal(discovery.status, 200);
  assert.equal((await discovery.json()).issuer, 'https://auth.example.com');
  assert.ok(!logs.some((l) => String(l.msg).includes('AUTHPLANE_SESSION_SECRET')), 'nothing is said about a secret nobody uses');
});

test('a server with the oauth plugin on a public issuer refuses to start without AUTHPLANE_SESSION_SECRET', async (t) => {
  await assert.rejects(
    startServer(t, { plugins: [clients(), resources(), users(), oauth()], env: PUBLIC_ISSUER }),
    refusedFor('AP_ERR_OAUTH_INSECURE_SECRET', 'refusing to start:\n  AUTHPLANE_SESSION_SECRET: is required for a non-localhost issuer'),
  );
});

test('a server with the oauth plugin on a public issuer refuses a short or obvious AUTHPLANE_SESSION_SECRET', async (t) => {
  await assert.rejects(
    startServer(t, { plugins: [clients(), resources(), users(), oauth()], env: { ...PUBLIC_ISSUER, AUTHPLANE_SESSION_SECRET: 'too-short' } }),
    refusedFor('AP_ERR_OAUTH_INSECURE_SECRET', 'AUTHPLANE_SESSION_SECRET: must be at least 32 characters and not an obvious value'),
  );
});

test('a server with the oauth plugin on a public issuer starts with a strong AUTHPLANE_SESSION_SECRET', async (t) => {
  const { url } = await startServer(t, {
    plugins: [clients(), resources(), users(), oauth()],
    env: { ...PUBLIC_ISSUER, AUTHPLANE_SESSION_SECRET: STRONG_SECRET },
  });
  const discovery = await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json();
  assert.equal(discovery.authorization_endpoint, 'https://auth.example.com/oauth/authorize');
});

test('on localhost the oauth plugin starts without the secret and warns, once serving, that sessions end on restart', async (t) => {
  const { logs } = await startServer(t, { plugins: [clients(), resources(), users(), oauth()] });
  const warnings = logs.filter((l) => String(l.msg).includes('AUTHPLANE_SESSION_SECRET is not set'));
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.match(String(warnings[0]!.msg), /ephemeral session secret \(sessions end on restart\)/);
});

test('dpop with requireNonce on a public issuer refuses to start without the secret its nonces are keyed from', async (t) => {
  await assert.rejects(
    startServer(t, { plugins: [clients(), resources(), clientCredentials(), dpop({ requireNonce: true })], env: PUBLIC_ISSUER }),
    refusedFor('AP_ERR_DPOP_INSECURE_SECRET', 'AUTHPLANE_SESSION_SECRET: is required for a non-localhost issuer (dpop.requireNonce)'),
  );
});

test('dpop without requireNonce mints no nonces and needs no secret on a public issuer', async (t) => {
  const { url } = await startServer(t, { plugins: [clients(), resources(), clientCredentials(), dpop()], env: PUBLIC_ISSUER });
  assert.equal((await fetch(`${url}/.well-known/oauth-authorization-server`)).status, 200);
});
