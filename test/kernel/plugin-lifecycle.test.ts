import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { AuthPlane, BootError, definePlugin, type PluginDefinition, type PluginInstance } from 'authplane';
import { resources } from 'authplane/plugins';
import { basePlugins, tempDir } from '../helpers/server.js';

function construct(t: TestContext, plugins: PluginInstance[], env: NodeJS.ProcessEnv = {}): AuthPlane {
  // after-hooks run in the order they are added: the server stops before its folder goes.
  let server: AuthPlane | undefined;
  t.after(() => server?.stop());
  const dir = tempDir(t);
  server = new AuthPlane(
    {
      server: { address: '127.0.0.1:0' },
      admin: { enabled: false },
      storage: { sqlite: { path: join(dir, 'auth.db') } },
      signing: { keyPath: join(dir, 'keys') },
      plugins: [...basePlugins(), ...plugins],
    },
    { env, logLevel: 'silent', phaseTimeoutMs: 120_000 },
  );
  return server;
}

function frozenError(fn: () => unknown): BootError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BootError, `a BootError, got ${String(err)}`);
    assert.equal(err.code, 'AP_ERR_HOOKS_FROZEN');
    return err;
  }
  assert.fail('expected the tap to be refused');
}

test('a plugin tapping a hook from start() is refused with AP_ERR_HOOKS_FROZEN naming the plugin and the hook', async (t) => {
  const startTapper = definePlugin({
    name: 'start-tapper',
    register(api) {
      return {
        async start() {
          // The register API is still in reach from the closure; its hooks are closed all the same.
          api.hooks.accessTokenClaims.tap(api.name, (claims) => ({ ...claims, late: true }));
        },
      };
    },
  });
  const server = construct(t, [startTapper()]);
  await server.boot();
  await assert.rejects(server.listen(), (err: unknown) => {
    assert.ok(err instanceof BootError, String(err));
    assert.equal(err.code, 'AP_ERR_HOOKS_FROZEN');
    assert.match(err.message, /'start-tapper'/);
    assert.match(err.message, /accessTokenClaims/);
    return true;
  });
  assert.equal(server.hooks.accessTokenClaims.isUsed(), false, 'the refused tap left nothing behind');
});

test('the runtime view of the hooks can call them but has no tap, and the hooks under it refuse a late tap naming the tapper and the hook', async (t) => {
  const server = construct(t, []);
  await server.boot();
  const rt = server.runtimeApi('some-plugin');

  for (const [name, hook] of Object.entries(rt.hooks)) {
    for (const method of ['tap', 'tapAsync', 'tapPromise', 'intercept']) {
      assert.equal(method in hook, false, `runtime hooks.${name} has no ${method}`);
    }
  }
  assert.equal(typeof rt.hooks.tokenResponse.call, 'function');
  assert.equal(rt.hooks.tokenResponse.isUsed(), false);
  const body = { access_token: 'x', token_type: 'Bearer', expires_in: 1 };
  assert.deepEqual(rt.hooks.tokenResponse.call(body, {} as never), body, 'an untapped waterfall returns its input');
  assert.equal(rt.hooks.grantRequest.get('urn:example:nobody'), undefined);

  // Whoever holds the catalog itself (the server object, a reference kept from register) cannot tap it either: a
  // late tap on tokenResponse used to take effect while one on accessTokenClaims was silently ignored.
  const response = frozenError(() => server.hooks.tokenResponse.tap('late-plugin', (b) => ({ ...b, late: true }) as never));
  assert.match(response.message, /'late-plugin'/);
  assert.match(response.message, /tokenResponse/);
  const claims = frozenError(() => server.hooks.accessTokenClaims.tap({ name: 'late-plugin' }, (c) => c));
  assert.match(claims.message, /accessTokenClaims/);
  const grant = frozenError(() => server.hooks.grantRequest.for('client_credentials').tapPromise('late-plugin', async () => {}));
  assert.match(grant.message, /grantRequest\.for\('client_credentials'\)/);
  const audit = frozenError(() => server.hooks.auditSinks.tapPromise('late-plugin', async () => {}));
  assert.match(audit.message, /auditSinks/);
  frozenError(() => server.hooks.resolveClient.intercept({}));
  assert.equal(server.hooks.tokenResponse.isUsed(), false);
  assert.equal(server.hooks.grantRequest.get('client_credentials'), undefined, 'a late for() stores no new hook');
});

test('a plugin definition still carrying init, start or stop is refused naming the plugin rather than having its phases skipped', (t) => {
  const legacy = { name: 'legacy-plugin', register() {}, async start() {} } as unknown as PluginDefinition;
  assert.throws(() => definePlugin(legacy), (err: Error) => {
    assert.match(err.message, /'legacy-plugin' defines start on its definition/);
    assert.match(err.message, /return them from register/);
    return true;
  });
  // A hand-built instance (no definePlugin) is caught at boot.
  assert.throws(
    () => construct(t, [{ definition: legacy, options: {} }]),
    (err: BootError) => err.code === 'AP_ERR_PLUGIN_PHASE' && /'legacy-plugin'/.test(err.message),
  );
});

test('two servers in one process with the same resources() instance keep separate plugin state: each seeds and serves its own database', async (t) => {
  const shared = resources();
  const env = (host: string, scope: string) => ({
    AUTHPLANE_RESOURCE_URI: `https://${host}/mcp`,
    AUTHPLANE_RESOURCE_SCOPES: scope,
  });
  // Both register before either boots: state kept anywhere but register's closure would be the second server's.
  const a = construct(t, [shared], env('a.example.com', 'a:read'));
  const b = construct(t, [shared], env('b.example.com', 'b:read'));
  await a.boot();
  await b.boot();

  assert.deepEqual(await a.db('resources').pluck('uri'), ['https://a.example.com/mcp']);
  assert.deepEqual(await b.db('resources').pluck('uri'), ['https://b.example.com/mcp']);
  assert.deepEqual(a.discovery.document().scopes_supported, ['a:read', 'offline_access']);
  assert.deepEqual(b.discovery.document().scopes_supported, ['b:read', 'offline_access']);

  await a.listen();
  const { public: bAddress } = await b.listen();
  await a.stop();
  // One server's stop (its refresh timer, its catalog) leaves the other serving its own resources.
  const prm = await fetch(`http://127.0.0.1:${bAddress.port}/.well-known/oauth-protected-resource/mcp`);
  assert.equal(prm.status, 200);
  assert.equal((await prm.json()).resource, 'https://b.example.com/mcp');
});
