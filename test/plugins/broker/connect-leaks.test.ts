/**
 * Credential data never leaves the vault: every response of this server (bodies and headers), every log line,
 * every audit event and the CLI's output during a full connect, a reconnect, a failed exchange, the lists and the
 * revokes are collected, and none contains an upstream access or refresh token, the client secret, an
 * authorization code, a PKCE verifier or the master key.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalSecretBox } from '../../../plugins/broker/crypto/local-box.js';
import { openState } from '../../../plugins/broker/connect/state.js';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';
import {
  connectFixture,
  connectPath,
  consentUpstream,
  cookieHeader,
  grantRows,
  OIDC_SECRET,
  openGrant,
  RETURN_URL,
  signedIn,
  startConnect,
  type ConnectFixture,
} from './connect-setup.js';
import { BROKER_CONFIG_PLUGINS, MASTER_KEY } from './setup.js';

interface Collected {
  where: string;
  text: string;
}

/** Records every response from `origins` that passes through the global fetch (the tests' browsers use it). */
function recordResponses(origins: string[], into: Collected[]): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await original(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    if (origins.some((origin) => url.startsWith(origin))) {
      const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
      into.push({ where: `${init?.method ?? 'GET'} ${url} → ${response.status}`, text: `${headers}\n\n${await response.clone().text()}` });
    }
    return response;
  };
  return () => {
    globalThis.fetch = original;
  };
}

/** The PKCE verifier a connect's state carries, opened with the master key the test gave the server. */
async function verifierOf(authorizeUrl: string): Promise<string> {
  const state = new URL(authorizeUrl).searchParams.get('state')!;
  const opened = await openState(new LocalSecretBox(Buffer.from(MASTER_KEY, 'base64')), 'oidc', state);
  assert.ok(opened.codeVerifier);
  return opened.codeVerifier;
}

/** One connect, remembering the code and the verifier it used. */
async function connectRemembering(fx: ConnectFixture, browser: ScriptedBrowser, upstream: ScriptedBrowser, secrets: string[]): Promise<void> {
  const started = await startConnect(browser, connectPath());
  secrets.push(await verifierOf(started.url));
  const callback = await consentUpstream(fx, upstream, started.url);
  secrets.push(new URL(callback).searchParams.get('code')!);
  assert.equal((await browser.request(callback)).url, RETURN_URL);
}

test('no response, log line, audit event or CLI output of a connect, reconnect, failed exchange, list and revoke holds a token, code, verifier or secret', async (t) => {
  const dir = repoTempDir(t, 'broker-leaks-');
  const fx = await connectFixture(t, { dir });
  const collected: Collected[] = [];
  const restore = recordResponses([fx.url, fx.adminUrl], collected);
  t.after(restore);
  const secrets: string[] = [OIDC_SECRET, MASTER_KEY];

  const ada = await signedIn(fx, 'ada');
  const upstream = new ScriptedBrowser(fx.upstream);
  await connectRemembering(fx, ada, upstream, secrets);
  const first = await openGrant((await grantRows(fx))[0]!);
  await connectRemembering(fx, ada, upstream, secrets);
  const second = await openGrant((await grantRows(fx))[0]!);
  for (const tokens of [first, second]) secrets.push(tokens.access_token, tokens.refresh_token!);
  assert.notEqual(first.refresh_token, second.refresh_token);

  // A code the provider refuses: the failure is logged and audited, and shown as a page.
  const started = await startConnect(ada, connectPath());
  secrets.push(await verifierOf(started.url));
  const callback = new URL(await consentUpstream(fx, upstream, started.url));
  secrets.push(callback.searchParams.get('code')!);
  const forged = 'forged-authorization-code-7f3a9c';
  secrets.push(forged);
  callback.searchParams.set('code', forged);
  assert.equal((await ada.request(callback.toString())).status, 502);

  // Lists and revokes: the user's own and the operator's.
  assert.equal((await fetch(`${fx.url}/connections`, { headers: { cookie: cookieHeader(ada) } })).status, 200);
  assert.equal((await fx.admin('/admin/broker-grants')).status, 200);
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'info' } },
    ...BROKER_CONFIG_PLUGINS,
  });
  const env = { AUTHPLANE_ADMIN_ENABLED: 'false', AUTHPLANE_BROKER_MASTER_KEY: MASTER_KEY, OIDC_CLIENT_SECRET: OIDC_SECRET };
  for (const args of [['admin', 'broker-grant', 'list', '--json'], ['admin', 'broker-grant', 'list']]) {
    const result = await runCli([...args, '--config', config], { cwd: dir, env });
    assert.equal(result.code, 0, result.stderr);
    collected.push({ where: `authserver ${args.join(' ')}`, text: `${result.stdout}\n${result.stderr}` });
  }
  const removed = await fetch(`${fx.url}/connections/oidc`, { method: 'DELETE', headers: { cookie: cookieHeader(ada), 'sec-fetch-site': 'same-origin' } });
  assert.equal(removed.status, 204);
  await connectRemembering(fx, ada, upstream, secrets);
  const third = await openGrant((await grantRows(fx))[0]!);
  secrets.push(third.access_token, third.refresh_token!);
  assert.equal((await fx.admin(`/admin/broker-grants/${fx.userIds.ada}/oidc`, { method: 'DELETE' })).status, 204);

  await fx.server.runtimeApi().audit.flush();
  const audit = await (await fx.admin('/admin/audit?limit=1000')).json();
  const actions = new Set(audit.events.map((e: { action: string }) => e.action));
  for (const action of ['broker_grant_updated', 'broker_grant_revoked', 'broker_connect_failed', 'user_login']) assert.ok(actions.has(action), action);
  collected.push({ where: 'audit events', text: JSON.stringify(audit.events) });
  collected.push({ where: 'log lines', text: fx.logs.map((line) => JSON.stringify(line)).join('\n') });
  assert.ok(fx.logs.some((line) => typeof line.msg === 'string' && line.msg.startsWith('connect: ')), 'the failed exchange was logged');
  for (const path of ['/connect/oidc?', '/connect/oidc/callback?', '/login', '/connections', '/connections/oidc', '/admin/broker-grants', '/admin/audit']) {
    assert.ok(collected.some((c) => c.where.includes(`${path}`)), `a response of ${path} was collected`);
  }

  for (const secret of secrets) {
    assert.ok(secret.length >= 16, 'each secret is long enough that a match is no accident');
    for (const { where, text } of collected) {
      assert.ok(!text.includes(secret), `${where} contains a secret (${secret.slice(0, 4)}…)`);
    }
  }
});
