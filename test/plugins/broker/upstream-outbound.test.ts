/**
 * The limits of calls upstream (the kernel's guarded outbound request, as the broker uses it): no redirect is
 * followed, one deadline, a byte cap while streaming, private addresses refused unless allowed, network failures.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { OAuthProvider } from 'authplane/plugins';
import { UpstreamClient, type OutboundSettings } from '../../../plugins/broker/upstream-client.js';
import { UpstreamError } from '../../../plugins/broker/upstream-error.js';
import { freePort } from '../../helpers/server.js';
import { createProvider, startBrokerServer, startTokenEndpoint } from './setup.js';

const ALLOWED: OutboundSettings = { timeoutMs: 30_000, maxResponseBytes: 65536, allowPrivateAddresses: true };
const OK = { access_token: 'at', token_type: 'Bearer' };

const client = (outbound: Partial<OutboundSettings> = {}) =>
  new UpstreamClient({ outbound: { ...ALLOWED, ...outbound }, environmentVariable: () => 'client-secret', now: () => 0 });

async function setup(t: TestContext) {
  const endpoint = await startTokenEndpoint(t);
  const server = await startBrokerServer(t, { broker: { outbound: { allowPrivateAddresses: true } } });
  let n = 0;
  /** A provider whose token endpoint is `url` (on the loopback endpoint unless given). */
  const provider = (url: string) =>
    createProvider<OAuthProvider>(server, {
      slug: `p${++n}`,
      display_name: 'Upstream',
      protocol: 'oauth',
      config: { client_id: 'c', client_secret_ref: 'UPSTREAM_SECRET', authorize_url: 'https://up.example.com/authorize', token_url: url },
    });
  return { endpoint, provider };
}

async function reasonOf(promise: Promise<unknown>): Promise<UpstreamError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof UpstreamError, `expected an UpstreamError, got ${String(err)}`);
  return err;
}

const refresh = (upstream: UpstreamClient, provider: OAuthProvider) => upstream.refresh(provider, 'rt');

test('a redirect from the token endpoint is not followed', async (t) => {
  const { endpoint, provider } = await setup(t);
  const target = endpoint.json('/elsewhere', OK);
  const moved = await provider(endpoint.route('/token', (_req, res) => void res.writeHead(307, { location: target }).end()));
  const err = await reasonOf(refresh(client(), moved));
  assert.equal(err.reason, 'bad_response');
  assert.equal(err.status, 307);
  assert.match(err.message, /answered 307; redirects are not followed/);
  assert.deepEqual(endpoint.received.map((r) => r.path), ['/token'], 'the redirect target was never asked');
});

test('a token endpoint that does not answer in time fails with timeout', async (t) => {
  const { endpoint, provider } = await setup(t);
  // Headers at once, then the body never ends: the deadline covers the whole exchange, not just the first byte.
  const trickle = await provider(endpoint.route('/trickle', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"access_token":');
  }));
  const silent = await provider(endpoint.route('/silent', () => undefined));
  for (const slow of [silent, trickle]) {
    const err = await reasonOf(refresh(client({ timeoutMs: 300 }), slow));
    assert.equal(err.reason, 'timeout', err.message);
    assert.match(err.message, /did not answer within 300 ms/);
  }
});

test('an answer larger than maxResponseBytes is refused, whether announced or streamed', async (t) => {
  const { endpoint, provider } = await setup(t);
  const big = JSON.stringify({ ...OK, padding: 'x'.repeat(4096) });
  const announced = await provider(endpoint.json('/announced', JSON.parse(big)));
  const streamed = await provider(endpoint.route('/streamed', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < big.length; i += 512) res.write(big.slice(i, i + 512));
    res.end();
  }));
  for (const large of [announced, streamed]) {
    const err = await reasonOf(refresh(client({ maxResponseBytes: 1024 }), large));
    assert.equal(err.reason, 'too_large', err.message);
    assert.match(err.message, /answered more than 1024 bytes/);
  }
  // The same answers pass under a larger cap.
  assert.equal((await refresh(client(), announced)).access_token, 'at');
});

test('a private address is refused when allowPrivateAddresses is off, whether an IP literal or a name resolving to one', async (t) => {
  const { endpoint, provider } = await setup(t);
  const port = new URL(endpoint.origin).port;
  const literal = await provider(endpoint.json('/token', OK));
  const named = await provider(`http://localhost:${port}/token`);
  for (const privateHost of [literal, named]) {
    const err = await reasonOf(refresh(client({ allowPrivateAddresses: false }), privateHost));
    assert.equal(err.reason, 'refused_address', err.message);
    assert.match(err.message, /loopback/);
  }
  assert.equal(endpoint.received.length, 0, 'no request reached the server');
  // Allowed, the same endpoint answers.
  assert.equal((await refresh(client(), literal)).access_token, 'at');
});

test('a token endpoint nobody listens on fails with network', async (t) => {
  const { provider } = await setup(t);
  const closed = await provider(`http://127.0.0.1:${await freePort()}/token`);
  const err = await reasonOf(refresh(client(), closed));
  assert.equal(err.reason, 'network');
  assert.match(err.message, /ECONNREFUSED/);
});
