import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort, startServer } from '../helpers/server.js';

test('with no issuer set, the advertised endpoints follow the port of AUTHPLANE_SERVER_ADDRESS', async (t) => {
  const port = await freePort();
  const { url, logs } = await startServer(t, { env: { AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${port}` } });
  assert.equal(url, `http://127.0.0.1:${port}`);
  const discovery = (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
  assert.equal(discovery.issuer, `http://localhost:${port}`);
  assert.equal(discovery.jwks_uri, `http://localhost:${port}/.well-known/jwks.json`);
  assert.ok(!logs.some((l) => String(l.msg).includes('server.issuer')), 'nothing to warn about');
});

test('an issuer set on localhost with another port than the address is kept, with a warning naming both', async (t) => {
  const port = await freePort();
  const { url, logs } = await startServer(t, {
    env: { AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${port}`, AUTHPLANE_SERVER_ISSUER: 'http://localhost:9000' },
  });
  const discovery = (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
  assert.equal(discovery.issuer, 'http://localhost:9000', 'an explicit issuer is used as given');
  const warning = logs.find((l) => l.level === 'warn' && String(l.msg).includes('server.issuer'));
  assert.ok(warning, 'the mismatch is warned about');
  assert.match(String(warning.msg), new RegExp(`port 9000 .* listens on ${port}`));
});

test('an issuer set on localhost with the address’s port is not warned about', async (t) => {
  const port = await freePort();
  const { logs } = await startServer(t, {
    env: { AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${port}`, AUTHPLANE_SERVER_ISSUER: `http://localhost:${port}` },
  });
  assert.ok(!logs.some((l) => String(l.msg).includes('server.issuer')));
});

test('a port in use is refused with an error that names AUTHPLANE_SERVER_ADDRESS', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const { port } = taken.address() as { port: number };
  await assert.rejects(
    startServer(t, { env: { AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${port}` } }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'AP_ERR_LISTEN');
      assert.match(err.message, new RegExp(`port ${port} is already in use`));
      assert.match(err.message, /AUTHPLANE_SERVER_ADDRESS/);
      return true;
    },
  );
});
