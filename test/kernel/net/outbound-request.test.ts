/** The kernel's guarded outbound request, as any plugin calls it (`outboundRequest` from 'authplane'). */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { outboundRequest, OutboundRequestError } from 'authplane';

async function echoServer(t: TestContext) {
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/moved') return void res.writeHead(302, { location: '/elsewhere' }).end('moved');
      res.writeHead(200, { 'content-type': 'application/json', 'x-seen-type': req.headers['content-type'] ?? '' });
      res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString(), length: req.headers['content-length'] }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); }));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

const limits = { timeoutMs: 30_000, maxResponseBytes: 4096, allowPrivateAddresses: true };

test('a form body is sent url-encoded with its length, and the answer comes back whole', async (t) => {
  const origin = await echoServer(t);
  const response = await outboundRequest({ ...limits, url: new URL(`${origin}/x`), method: 'POST', body: new URLSearchParams({ a: '1 2', b: 'é' }) });
  assert.equal(response.status, 200);
  assert.equal(response.headers['x-seen-type'], 'application/x-www-form-urlencoded');
  assert.deepEqual(JSON.parse(response.body.toString()), { method: 'POST', body: 'a=1+2&b=%C3%A9', length: '14' });
});

test('a 3xx is answered as it came, and what checkHead throws is what the caller gets', async (t) => {
  const origin = await echoServer(t);
  const moved = await outboundRequest({ ...limits, url: new URL(`${origin}/moved`) });
  assert.equal(moved.status, 302);
  assert.equal(moved.headers.location, '/elsewhere');
  const refusal = new Error('no redirects here');
  await assert.rejects(
    outboundRequest({ ...limits, url: new URL(`${origin}/moved`), checkHead: ({ status }) => { if (status === 302) throw refusal; } }),
    (err) => err === refusal,
  );
});

test('only http and https are spoken, and a private address is refused before any connection', async () => {
  await assert.rejects(outboundRequest({ ...limits, url: new URL('file:///etc/passwd') }), (err: unknown) => err instanceof OutboundRequestError && err.reason === 'network_error');
  await assert.rejects(
    outboundRequest({ ...limits, allowPrivateAddresses: false, url: new URL('http://169.254.169.254/latest/meta-data/') }),
    (err: unknown) => err instanceof OutboundRequestError && err.reason === 'refused_address' && /link-local, cloud metadata/.test(err.message),
  );
});
