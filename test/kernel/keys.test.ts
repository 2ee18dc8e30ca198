import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { jwkThumbprint } from 'authplane';
import { HELLO_GRANT, helloPlugin } from '../fixtures/plugins/hello-plugin.js';
import { fixtureImport, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { runCli, spawnServe, startServer, tempDir } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'fixture-client-secret-0123456789';
const PUBLIC_MEMBERS = ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'];

async function helloToken(url: string): Promise<string> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`hello-client:${SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: HELLO_GRANT, name: 'alice' }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).access_token;
}

async function jwks(url: string): Promise<{ response: Response; body: JSONWebKeySet }> {
  const response = await fetch(`${url}/.well-known/jwks.json`);
  assert.equal(response.status, 200);
  return { response, body: await response.json() };
}

const verify = (token: string, url: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`)), {
    issuer: 'http://localhost:9000',
    audience: 'https://mcp.example.com/mcp',
    typ: 'at+jwt',
    algorithms: ['ES256'],
  });

test('the JWKS serves public members only, cached for 300 s with a strong ETag and 304 on If-None-Match', async (t) => {
  const { url } = await startServer(t);
  const { response, body } = await jwks(url);
  assert.match(response.headers.get('content-type') ?? '', /^application\/jwk-set\+json/);
  assert.match(response.headers.get('cache-control') ?? '', /(^|[ ,])max-age=300($|[ ,])/);
  const etag = response.headers.get('etag')!;
  assert.match(etag, /^"[^"]+"$/, 'a strong ETag (no W/ prefix)');
  assert.equal(body.keys.length, 1);
  for (const key of body.keys) {
    assert.deepEqual(Object.keys(key).sort(), PUBLIC_MEMBERS, 'no private member (d) or anything else');
    assert.equal(key.kty, 'EC');
    assert.equal(key.crv, 'P-256');
    assert.equal(key.alg, 'ES256');
    assert.equal(key.use, 'sig');
  }
  const cached = await fetch(`${url}/.well-known/jwks.json`, { headers: { 'if-none-match': etag } });
  assert.equal(cached.status, 304);
  assert.equal(await cached.text(), '');
  assert.equal(cached.headers.get('etag'), etag);
  const listed = await fetch(`${url}/.well-known/jwks.json`, { headers: { 'if-none-match': `"other", ${etag}` } });
  assert.equal(listed.status, 304, 'a list of ETags matches too');
  const stale = await fetch(`${url}/.well-known/jwks.json`, { headers: { 'if-none-match': `W/${etag}x` } });
  assert.equal(stale.status, 200);
});

test('after POST /admin/keys/rotate the JWKS holds both kids and a token signed before still verifies', async (t) => {
  const { url, admin, dir } = await startServer(t, {
    plugins: [helloPlugin()],
    env: { AUTHPLANE_HELLO_PLUGIN_CLIENT_SECRET: SECRET },
  });
  const before = await helloToken(url);
  const oldKid = decodeProtectedHeader(before).kid!;
  const { response: firstResponse } = await jwks(url);
  const firstEtag = firstResponse.headers.get('etag')!;

  const rotated = await admin('/admin/keys/rotate', { method: 'POST' });
  assert.equal(rotated.status, 201);
  const created = await rotated.json();
  assert.notEqual(created.kid, oldKid);
  assert.equal(created.status, 'current');

  const { response, body } = await jwks(url);
  assert.deepEqual(body.keys.map((k) => k.kid).sort(), [oldKid, created.kid].sort());
  assert.notEqual(response.headers.get('etag'), firstEtag, 'a new ETag once the keys changed');
  const revalidated = await fetch(`${url}/.well-known/jwks.json`, { headers: { 'if-none-match': firstEtag } });
  assert.equal(revalidated.status, 200, 'the old ETag no longer matches');

  const after = await helloToken(url);
  assert.equal(decodeProtectedHeader(after).kid, created.kid, 'the new kid signs at once');
  assert.equal((await verify(before, url)).protectedHeader.kid, oldKid);
  assert.equal((await verify(after, url)).protectedHeader.kid, created.kid);

  const keys = (await (await admin('/admin/keys')).json()).keys;
  const current = keys.find((k: { kid: string }) => k.kid === created.kid);
  const previous = keys.find((k: { kid: string }) => k.kid === oldKid);
  assert.equal(current.status, 'current');
  assert.equal(previous.status, 'published');
  assert.equal(
    Date.parse(previous.published_until) - Date.parse(previous.retired_at),
    86_400_000,
    'published for signing.retiredKeyRetention after retirement',
  );

  const files = readdirSync(join(dir, 'keys')).filter((f) => f.endsWith('.json'));
  assert.deepEqual(files.sort(), [`${oldKid}.json`, `${created.kid}.json`].sort(), 'the rotated key is kept on disk');
  for (const file of files) assert.equal(statSync(join(dir, 'keys', file)).mode & 0o777, 0o600);
  assert.ok(JSON.parse(readFileSync(join(dir, 'keys', `${oldKid}.json`), 'utf8')).retired_at);
});

test('a rotated-out key stays in the JWKS for signing.retiredKeyRetention and is dropped after it', async (t) => {
  const dir = tempDir(t);
  const hour = 3_600_000;
  // Key files as an earlier run left them: one retired an hour ago, one retired two days ago (retention is 1 day).
  const retiredKey = (retiredAgoMs: number) => {
    const privateJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const kid = jwkThumbprint(privateJwk);
    mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
    const file = {
      kid,
      alg: 'ES256',
      created_at: new Date(Date.now() - retiredAgoMs - hour).toISOString(),
      retired_at: new Date(Date.now() - retiredAgoMs).toISOString(),
      private_jwk: privateJwk,
    };
    writeFileSync(join(dir, 'keys', `${kid}.json`), JSON.stringify(file), { mode: 0o600 });
    return kid;
  };
  const recent = retiredKey(hour);
  const old = retiredKey(48 * hour);
  const { url, admin, server } = await startServer(t, { dir });
  const published = (await jwks(url)).body.keys.map((k) => k.kid);
  assert.deepEqual(published.sort(), [server.keys.currentKid, recent].sort(), 'a fresh current key and the recent one');
  assert.ok(!published.includes(old), 'no token signed with the old key can still be valid');
  const statuses = Object.fromEntries(
    (await (await admin('/admin/keys')).json()).keys.map((k: { kid: string; status: string }) => [k.kid, k.status]),
  );
  assert.deepEqual(statuses, { [server.keys.currentKid]: 'current', [recent]: 'published', [old]: 'expired' });
});

test('authserver admin key rotate from the CLI: the restarted server publishes both kids and old tokens verify', async (t) => {
  const dir = repoTempDir(t, 'keys-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') } },
    imports: [fixtureImport('helloPlugin', 'hello-plugin.ts')],
    plugins: ['helloPlugin()'],
  });
  const env = { AUTHPLANE_HELLO_PLUGIN_CLIENT_SECRET: SECRET };
  const first = await spawnServe(t, { cwd: dir, args: ['--config', config], env });
  const before = await helloToken(first.url);
  const oldKid = decodeProtectedHeader(before).kid!;
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);

  const rotate = await runCli(['admin', 'key', 'rotate', '--config', config], { cwd: dir, env });
  assert.equal(rotate.code, 0, rotate.stderr);
  const match = /^new signing key (\S+) is current; running servers sign with it within a second \(they watch the key store; at the latest within signing\.reloadInterval, 60 s\)\n$/.exec(rotate.stdout);
  assert.ok(match, rotate.stdout);
  const newKid = match[1]!;
  assert.notEqual(newKid, oldKid);

  const list = await runCli(['admin', 'key', 'list', '--json', '--config', config], { cwd: dir, env });
  assert.equal(list.code, 0, list.stderr);
  const statuses = Object.fromEntries(JSON.parse(list.stdout).keys.map((k: { kid: string; status: string }) => [k.kid, k.status]));
  assert.deepEqual(statuses, { [newKid]: 'current', [oldKid]: 'published' });

  const table = await runCli(['admin', 'key', 'list', '--config', config], { cwd: dir, env });
  assert.match(table.stdout, /^KID\s+ALG\s+STATUS/);
  assert.match(table.stdout, new RegExp(`${newKid}\\s+ES256\\s+current`));

  const second = await spawnServe(t, { cwd: dir, args: ['--config', config], env });
  const { body } = await jwks(second.url);
  assert.deepEqual(body.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
  const after = await helloToken(second.url);
  assert.equal(decodeProtectedHeader(after).kid, newKid);
  const localSet = createLocalJWKSet(body);
  for (const token of [before, after]) {
    const { payload } = await jwtVerify(token, localSet, { issuer: 'http://localhost:9000', typ: 'at+jwt' });
    assert.equal(payload.sub, 'alice');
  }
});

test('a rotation by the CLI reaches a running server at its next key-store reload, without a restart', async (t) => {
  const dir = repoTempDir(t, 'keys-live-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') } },
    imports: [fixtureImport('helloPlugin', 'hello-plugin.ts')],
    plugins: ['helloPlugin()'],
  });
  const env = { AUTHPLANE_HELLO_PLUGIN_CLIENT_SECRET: SECRET, AUTHPLANE_SIGNING_RELOAD_INTERVAL: '1' };
  const running = await spawnServe(t, { cwd: dir, args: ['--config', config], env });
  const before = await helloToken(running.url);
  const oldKid = decodeProtectedHeader(before).kid!;

  const rotate = await runCli(['admin', 'key', 'rotate', '--config', config], { cwd: dir, env });
  assert.equal(rotate.code, 0, rotate.stderr);
  const newKid = /^new signing key (\S+) is current/.exec(rotate.stdout)![1]!;

  let kids: string[] = [];
  await waitFor(
    `the running server to publish the rotated key ${newKid} (it reloads keys every second)`,
    async () => (kids = (await jwks(running.url)).body.keys.map((k) => k.kid!)).includes(newKid),
    { intervalMs: 200, lastSeen: () => kids },
  );
  assert.deepEqual(kids.sort(), [oldKid, newKid].sort(), 'the running server published the new key and kept the old one');
  assert.equal(decodeProtectedHeader(await helloToken(running.url)).kid, newKid, 'and signs with it');
  await verify(before, running.url);
});

test('a rotation by the CLI takes effect on a running server within a second: it watches the key store, and the CLI says so', async (t) => {
  const dir = repoTempDir(t, 'keys-watch-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') } },
    imports: [fixtureImport('helloPlugin', 'hello-plugin.ts')],
    plugins: ['helloPlugin()'],
  });
  // An hour between periodic reloads: only watching the store can bring the new key in before the deadline.
  const env = { AUTHPLANE_HELLO_PLUGIN_CLIENT_SECRET: SECRET, AUTHPLANE_SIGNING_RELOAD_INTERVAL: '3600' };
  const running = await spawnServe(t, { cwd: dir, args: ['--config', config], env });
  const oldKid = decodeProtectedHeader(await helloToken(running.url)).kid!;

  const rotate = await runCli(['admin', 'key', 'rotate', '--config', config], { cwd: dir, env });
  assert.equal(rotate.code, 0, rotate.stderr);
  const match = /^new signing key (\S+) is current; running servers sign with it within a second \(they watch the key store; at the latest within signing\.reloadInterval, 3600 s\)\n$/.exec(rotate.stdout);
  assert.ok(match, rotate.stdout);
  const newKid = match[1]!;

  // A generous deadline for a loaded machine; the switch itself takes one file-system event and one reload.
  const deadline = Date.now() + 20_000;
  let signedWith = oldKid;
  while (signedWith !== newKid && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    signedWith = decodeProtectedHeader(await helloToken(running.url)).kid!;
  }
  assert.equal(signedWith, newKid, 'new tokens are signed with the rotated-in key');
  const kids = (await jwks(running.url)).body.keys.map((k) => k.kid!);
  assert.deepEqual(kids.sort(), [oldKid, newKid].sort(), 'the JWKS publishes the new key and keeps the old one');
});
