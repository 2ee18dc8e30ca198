import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { GITHUB_SECRET, githubProvider, json, patch, startBrokerServer, STORAGES } from './setup.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const storage of STORAGES) {
  test(`a provider is created, listed, read by id and slug, updated and deleted over the admin API, each change audited (${storage})`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const { admin, server } = await startBrokerServer(t, { storage });

    const created = await admin('/admin/broker-providers', json(githubProvider()));
    assert.equal(created.status, 201, await created.clone().text());
    const provider = await created.json();
    assert.match(provider.id, UUID_V7);
    assert.equal(created.headers.get('location'), `/admin/broker-providers/${provider.id}`);
    assert.equal(provider.slug, 'github');
    assert.equal(provider.protocol, 'oauth');
    assert.deepEqual(provider.config, {
      client_id: 'Iv1.0123456789abcdef',
      client_secret_ref: 'GITHUB_CLIENT_SECRET',
      authorize_url: 'https://github.com/login/oauth/authorize',
      token_url: 'https://github.com/login/oauth/access_token',
      authorize_params: {},
      default_scopes: ['repo', 'read:org'],
      scope_separator: ' ',
      response_quirk: 'github',
      token_auth_method: 'client_secret_post',
      pkce: true,
    });
    assert.ok(!Number.isNaN(Date.parse(provider.created_at)));

    assert.deepEqual(await (await admin('/admin/broker-providers')).json(), { providers: [provider], next: null });
    assert.deepEqual(await (await admin(`/admin/broker-providers/${provider.id}`)).json(), provider);
    assert.deepEqual(await (await admin('/admin/broker-providers/github')).json(), provider);
    // The service other plugins use answers the same records, by slug or id.
    assert.deepEqual(await (await admin('/admin/probe/broker-providers/github')).json(), provider);
    assert.deepEqual(await (await admin(`/admin/probe/broker-providers/${provider.id}`)).json(), provider);
    assert.deepEqual(await (await admin('/admin/probe/broker-providers')).json(), { providers: [provider] });

    const updated = await admin('/admin/broker-providers/github', patch({ display_name: 'GitHub.com', config: { default_scopes: ['repo'] } }));
    assert.equal(updated.status, 200, await updated.clone().text());
    const after = await updated.json();
    assert.equal(after.display_name, 'GitHub.com');
    assert.deepEqual(after.config, { ...provider.config, default_scopes: ['repo'] }, 'config members not in the patch are kept');
    assert.equal(after.created_at, provider.created_at);

    assert.equal((await admin(`/admin/broker-providers/${provider.id}`, { method: 'DELETE' })).status, 204);
    const gone = await admin('/admin/broker-providers/github');
    assert.equal(gone.status, 404);
    assert.equal(gone.headers.get('content-type'), 'application/problem+json');
    assert.equal((await gone.json()).detail, "broker provider 'github' not found");
    assert.equal((await admin('/admin/broker-providers/github', { method: 'DELETE' })).status, 404);
    assert.equal((await admin('/admin/broker-providers/github', patch({ display_name: 'x' }))).status, 404);
    assert.equal((await admin('/admin/probe/broker-providers/github')).status, 404);

    await server.runtimeApi().audit.flush();
    const events = await server.db('audit_events').where('action', 'like', 'broker_provider_%').orderBy('id');
    assert.deepEqual(
      events.map((e) => [e.action, e.actor_id, JSON.parse(e.detail)]),
      [
        ['broker_provider_created', 'admin-api', { provider_id: provider.id, slug: 'github', protocol: 'oauth' }],
        ['broker_provider_updated', 'admin-api', { provider_id: provider.id, slug: 'github', changed: ['display_name', 'config.default_scopes'] }],
        ['broker_provider_deleted', 'admin-api', { provider_id: provider.id, slug: 'github' }],
      ],
    );
    assert.ok(events.every((e) => e.request_id && e.ip), 'the request is named');
  });
}

test('malformed provider bodies are 400 problems naming each field', async (t) => {
  const { admin } = await startBrokerServer(t);
  const cases: [Record<string, unknown>, string[]][] = [
    [githubProvider({ slug: 'Not A Slug' }), ['slug']],
    [githubProvider({ protocol: 'saml' }), ['protocol']],
    [githubProvider({ display_name: ' ' }), ['display_name']],
    [githubProvider({ color: 'blue' }), ['color']],
    [githubProvider({ config: undefined }), ['config']],
    [githubProvider({ config: 'github' }), ['config']],
    [githubProvider({}, { client_id: undefined }), ['config.client_id']],
    [githubProvider({}, { client_secret_ref: 'gh-secret' }), ['config.client_secret_ref']],
    [githubProvider({}, { client_secret_ref: 'AUTHPLANE_ADMIN_API_KEY' }), ['config.client_secret_ref']],
    [githubProvider({}, { token_url: 'http://github.com/login/oauth/access_token' }), ['config.token_url']],
    [githubProvider({}, { token_url: 'https://github.com/token#x' }), ['config.token_url']],
    [githubProvider({}, { token_url: 'https://user:pw@github.com/token' }), ['config.token_url']],
    [githubProvider({}, { token_url: '/relative' }), ['config.token_url']],
    [githubProvider({}, { authorize_url: 'https://github.com/login/oauth/authorize?allow_signup=false' }), ['config.authorize_url']],
    [githubProvider({}, { authorize_params: { state: 'fixed', Redirect_URI: 'https://evil.example.com', allow_signup: 'false' } }), ['config.authorize_params.state', 'config.authorize_params.Redirect_URI']],
    [githubProvider({}, { authorize_params: { code_challenge: 'x', response_type: 'token', client_id: 'x', scope: 'admin', user_scope: 'x', code_challenge_method: 'plain' } }), [
      'config.authorize_params.code_challenge',
      'config.authorize_params.response_type',
      'config.authorize_params.client_id',
      'config.authorize_params.scope',
      'config.authorize_params.user_scope',
      'config.authorize_params.code_challenge_method',
    ]],
    [githubProvider({}, { authorize_params: { access_type: 7 } }), ['config.authorize_params.access_type']],
    [githubProvider({}, { response_quirk: 'facebook' }), ['config.response_quirk']],
    [githubProvider({}, { token_auth_method: 'private_key_jwt' }), ['config.token_auth_method']],
    [githubProvider({}, { scope_separator: ';' }), ['config.scope_separator']],
    [githubProvider({}, { default_scopes: ['has space'] }), ['config.default_scopes.0']],
    [githubProvider({}, { default_scopes: ['a,b'], scope_separator: ',' }), ['config.default_scopes.0']],
    [githubProvider({}, { credential_ref: 'GITHUB_TOKEN' }), ['config.credential_ref']],
    // A loopback token endpoint is refused unless broker.outbound.allowPrivateAddresses (localhost issuers only).
    [githubProvider({}, { token_url: 'http://127.0.0.1:9000/token' }), ['config.token_url']],
    [githubProvider({}, { token_url: 'https://10.0.0.8/token' }), ['config.token_url']],
    [githubProvider({}, { token_url: 'https://localhost/token' }), ['config.token_url']],
  ];
  for (const [body, fields] of cases) {
    const response = await admin('/admin/broker-providers', json(body));
    const problem = await response.json();
    assert.equal(response.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(problem)}`);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), fields, JSON.stringify(problem));
  }
  const loopback = await (await admin('/admin/broker-providers', json(githubProvider({}, { token_url: 'http://127.0.0.1:9000/token' })))).json();
  assert.match(loopback.detail, /127\.0\.0\.1, which is in a loopback .* range: the broker does not call such addresses \(broker\.outbound\.allowPrivateAddresses is off\)/);
  assert.deepEqual((await (await admin('/admin/broker-providers')).json()).providers, [], 'nothing was stored');
});

test('a loopback token endpoint is accepted with allowPrivateAddresses, which a localhost issuer allows', async (t) => {
  const { admin } = await startBrokerServer(t, { broker: { outbound: { allowPrivateAddresses: true } } });
  const created = await admin('/admin/broker-providers', json(githubProvider({}, { token_url: 'http://127.0.0.1:9000/token', authorize_url: 'http://localhost:9000/authorize' })));
  assert.equal(created.status, 201, await created.clone().text());
});

test('api_key and service_account providers take their own minimal configs', async (t) => {
  const { admin } = await startBrokerServer(t);
  const apiKey = await admin('/admin/broker-providers', json({ slug: 'linear', display_name: 'Linear', protocol: 'api_key', config: { credential_ref: 'LINEAR_API_KEY', scopes: ['read'] } }));
  assert.equal(apiKey.status, 201, await apiKey.clone().text());
  assert.deepEqual((await apiKey.json()).config, { credential_ref: 'LINEAR_API_KEY', scopes: ['read'] });

  const account = await admin('/admin/broker-providers', json({
    slug: 'billing-api',
    display_name: 'Billing API',
    protocol: 'service_account',
    config: { client_id: 'authplane', client_secret_ref: 'BILLING_CLIENT_SECRET', token_url: 'https://billing.example.com/oauth/token', default_scopes: ['invoices:read'] },
  }));
  assert.equal(account.status, 201, await account.clone().text());
  assert.deepEqual((await account.json()).config, {
    client_id: 'authplane',
    client_secret_ref: 'BILLING_CLIENT_SECRET',
    token_url: 'https://billing.example.com/oauth/token',
    default_scopes: ['invoices:read'],
    scope_separator: ' ',
    token_auth_method: 'client_secret_basic',
  });

  const mixed = await admin('/admin/broker-providers', json({ slug: 'mixed', display_name: 'Mixed', protocol: 'api_key', config: { credential_ref: 'K', client_id: 'x', authorize_url: 'https://x.example.com' } }));
  assert.equal(mixed.status, 400);
  assert.deepEqual((await mixed.json()).errors.map((e: { field: string }) => e.field).sort(), ['config.authorize_url', 'config.client_id']);
  const serverKey = await admin('/admin/broker-providers', json({ slug: 'leak', display_name: 'Leak', protocol: 'api_key', config: { credential_ref: 'AUTHPLANE_SESSION_SECRET' } }));
  assert.equal(serverKey.status, 400);
  assert.deepEqual((await serverKey.json()).errors, [{ field: 'config.credential_ref', message: "must not name one of the server's own AUTHPLANE_* variables" }]);
});

test('a taken slug is 409; slug and protocol cannot be changed, and a patched config is checked whole', async (t) => {
  const { admin } = await startBrokerServer(t);
  assert.equal((await admin('/admin/broker-providers', json(githubProvider()))).status, 201);
  const taken = await admin('/admin/broker-providers', json(githubProvider({ display_name: 'Another' })));
  assert.equal(taken.status, 409);
  assert.equal((await taken.json()).detail, "a broker provider with slug 'github' already exists");

  const renamed = await admin('/admin/broker-providers/github', patch({ slug: 'gh', protocol: 'api_key' }));
  assert.equal(renamed.status, 400);
  assert.deepEqual((await renamed.json()).errors.map((e: { field: string }) => e.field), ['slug', 'protocol']);
  assert.equal((await admin('/admin/broker-providers/github', patch({ slug: 'github', protocol: 'oauth', display_name: 'GH' }))).status, 200, 'unchanged values may be repeated');

  const reserved = await admin('/admin/broker-providers/github', patch({ config: { authorize_params: { prompt: 'consent', state: 'x' } } }));
  assert.equal(reserved.status, 400);
  assert.deepEqual((await reserved.json()).errors.map((e: { field: string }) => e.field), ['config.authorize_params.state']);
  const foreign = await admin('/admin/broker-providers/github', patch({ config: { credential_ref: 'X' } }));
  assert.equal(foreign.status, 400, 'a member of another protocol is not a known field');
  const empty = await admin('/admin/broker-providers/github', patch({}));
  assert.equal(empty.status, 400);
  const kept = await (await admin('/admin/broker-providers/github')).json();
  assert.deepEqual(kept.config.authorize_params, {}, 'a refused patch changes nothing');
  assert.equal(kept.display_name, 'GH');
});

test('the client secret is named by its variable and never appears in a response, a log line or an audit event', async (t) => {
  const { admin, server, logs } = await startBrokerServer(t);
  const bodies: string[] = [];
  const call = async (path: string, init?: RequestInit) => {
    const response = await admin(path, init);
    bodies.push(await response.text());
    return response;
  };
  await call('/admin/broker-providers', json(githubProvider()));
  await call('/admin/broker-providers', json(githubProvider({ slug: 'github-2' }, { client_secret_ref: 'SLACK_CLIENT_SECRET' })));
  await call('/admin/broker-providers/github', patch({ config: { client_secret_ref: 'GITHUB_CLIENT_SECRET', token_auth_method: 'client_secret_basic' } }));
  await call('/admin/broker-providers');
  await call('/admin/broker-providers/github');
  await call('/admin/probe/broker-providers');
  await call('/admin/broker-providers/github-2', { method: 'DELETE' });
  await server.runtimeApi().audit.flush();
  const audit = JSON.stringify(await server.db('audit_events').select('*'));
  const stored = JSON.stringify(await server.db('broker_providers').select('*'));

  assert.ok(bodies.join('\n').includes('GITHUB_CLIENT_SECRET'), 'the variable is named');
  for (const [where, text] of [['responses', bodies.join('\n')], ['logs', JSON.stringify(logs)], ['audit events', audit], ['the table', stored]] as const) {
    assert.ok(!text.includes(GITHUB_SECRET), `the secret appears in ${where}`);
  }
  // The provider naming an unset variable is created, with a warning naming the variable (not a value).
  const warning = logs.find((l) => l.variable === 'SLACK_CLIENT_SECRET');
  assert.ok(warning, 'an unset variable is warned about');
  assert.equal(warning.level, 'warn');
  assert.equal(warning.provider, 'github-2');
  assert.ok(!logs.some((l) => l.variable === 'GITHUB_CLIENT_SECRET'), 'a set variable is not warned about');
});

test('at boot, every provider whose secret variable is unset is warned about', async (t) => {
  const first = await startBrokerServer(t);
  assert.equal((await first.admin('/admin/broker-providers', json(githubProvider()))).status, 201);
  await first.server.stop();
  const again = await startBrokerServer(t, { dir: first.dir, env: { GITHUB_CLIENT_SECRET: undefined } });
  const warning = again.logs.find((l) => l.variable === 'GITHUB_CLIENT_SECRET');
  assert.ok(warning, JSON.stringify(again.logs.filter((l) => l.level === 'warn')));
  assert.match(String(warning.msg), /the variable GITHUB_CLIENT_SECRET holding its secret is not set/);
});
