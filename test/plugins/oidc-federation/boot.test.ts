import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clients, oauth, oidcFederation, resources, users } from 'authplane/plugins';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { freePort, startServer } from '../../helpers/server.js';
import { federatedLogin, federationServer, LOCAL_USER } from './setup.js';
import { startUpstreamIdp } from './upstream-idp.js';

const provider = (id: string, issuer: string) => ({
  id,
  displayName: id,
  issuer,
  clientId: 'authplane',
  scopes: ['openid'],
});

test('an upstream that cannot be discovered at start stops the server with one line naming the provider and what failed', async (t) => {
  const up = await startUpstreamIdp(t, 'acme', 'http://127.0.0.1:1');
  const down = `http://127.0.0.1:${await freePort()}`;
  await assert.rejects(
    startServer(t, {
      plugins: [clients(), resources(), users(), oauth(), oidcFederation({ providers: [provider('acme', up.issuer), provider('globex', down)], outbound: { allowPrivateAddresses: true } })],
    }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'AP_ERR_OIDC_FEDERATION_DISCOVERY_FAILED', String(err));
      assert.match(err.message, new RegExp(`provider 'globex' \\(${down.replace(/\./g, '\\.')}\\): discovery at ${down.replace(/\./g, '\\.')}/\\.well-known/openid-configuration failed: .*(ECONNREFUSED|connect)`));
      assert.doesNotMatch(err.message, /acme/, 'the provider that answered is not blamed');
      assert.doesNotMatch(err.message, /\n/, 'one line');
      return true;
    },
  );
});

test('an issuer whose discovery document names another issuer is refused at start', async (t) => {
  const up = await startUpstreamIdp(t, 'acme', 'http://127.0.0.1:1');
  await assert.rejects(
    startServer(t, {
      plugins: [clients(), resources(), users(), oauth(), oidcFederation({ providers: [provider('acme', `${up.issuer}/other`)], outbound: { allowPrivateAddresses: true } })],
    }),
    (err: Error & { code?: string }) => err.code === 'AP_ERR_OIDC_FEDERATION_DISCOVERY_FAILED' && /provider 'acme'/.test(err.message),
  );
});

test('without allowPrivateAddresses the SSRF guard refuses an issuer on a loopback address at start', async (t) => {
  const port = await freePort();
  await assert.rejects(
    startServer(t, { plugins: [clients(), resources(), users(), oauth(), oidcFederation({ providers: [provider('acme', `https://127.0.0.1:${port}`)] })] }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'AP_ERR_OIDC_FEDERATION_DISCOVERY_FAILED');
      assert.match(err.message, /provider 'acme'.*127\.0\.0\.1 is in a loopback/);
      return true;
    },
  );
});

test('a missing client secret variable, an http issuer in production and two providers with one id stop boot', async (t) => {
  const boot = (options: Parameters<typeof oidcFederation>[0], env: NodeJS.ProcessEnv = {}) =>
    startServer(t, { env, plugins: [clients(), resources(), users(), oauth(), oidcFederation(options)] });
  const up = await startUpstreamIdp(t, 'acme', 'http://127.0.0.1:1');
  await assert.rejects(
    boot({ providers: [{ ...provider('acme', up.issuer), clientSecretEnv: 'ACME_SECRET' }], outbound: { allowPrivateAddresses: true } }),
    (err: Error & { code?: string }) => err.code === 'AP_ERR_OIDC_FEDERATION_SECRET_MISSING' && /ACME_SECRET/.test(err.message),
  );
  await assert.rejects(boot({ providers: [provider('acme', up.issuer)] }), (err: Error & { code?: string }) => err.code === 'AP_ERR_OIDC_FEDERATION_INSECURE_ISSUER');
  await assert.rejects(
    boot({ providers: [provider('acme', 'https://a.example'), provider('acme', 'https://b.example')] }),
    (err: Error & { code?: string }) => err.code === 'AP_ERR_OIDC_FEDERATION_DUPLICATE_PROVIDER',
  );
});

test('local login off: no password form, POST /login is a 404, the upstream providers still sign people in', async (t) => {
  const fx = await federationServer(t, { showLocalLogin: false });
  const browser = new ScriptedBrowser(fx.url);
  const page = await browser.request('/login');
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.body, /name="password"/);
  assert.match(page.body, /Sign in with Acme ID/);
  const post = await fetch(`${fx.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email: LOCAL_USER.email, password: LOCAL_USER.password }) });
  assert.equal(post.status, 404);
  assert.equal((await fetch(`${fx.url}/login/local`, { redirect: 'manual' })).status, 404);
  assert.equal((await fetch(`${fx.url}/login/acme`, { redirect: 'manual' })).status, 404, 'an upstream provider is reached at its own paths only');
  assert.equal((await federatedLogin(fx, new ScriptedBrowser(fx.url), 'globex', 'nina')).page.status, 200);
  assert.ok(!fx.logs.some((l) => /no way to log in/.test(String(l.msg))));
});

test('local login off and no upstream provider: the server warns at start that nobody can log in', async (t) => {
  const fx = await startServer(t, { plugins: [clients(), resources(), users(), oauth(), oidcFederation({ showLocalLogin: false })] });
  const warning = fx.logs.find((l) => /no way to log in/.test(String(l.msg)));
  assert.equal(warning?.level, 'warn');
});
