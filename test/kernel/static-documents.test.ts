import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

interface RawResponse {
  status: number;
  /** Header [name, value] pairs in the order they were sent. */
  headers: [string, string][];
  body: string;
  bytes: Buffer;
}

/** One request over plain node:http, keeping the headers' order and exact case. */
function raw(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const headers: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers, body: bytes.toString('utf8'), bytes });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The headers that can be compared between two responses: not the clock, the request id or the CORS Vary. */
const comparable = (r: RawResponse) => r.headers.filter(([name]) => !['date', 'x-request-id', 'vary'].includes(name.toLowerCase()));
const header = (r: RawResponse, name: string) => r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];

const PATHS = ['/.well-known/jwks.json', '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

test('discovery and the JWKS answered ahead of koa are byte for byte what the koa route writes', async (t) => {
  const { url } = await startServer(t, {
    config: { server: { issuer: 'https://auth.example.com' } },
    // The fast path against the koa route: on here even in the run with the fast paths off.
    env: { AUTHPLANE_SESSION_SECRET: 'Vq3nX8pL2sK9dR4tW7yB1cM6hJ5gF0aZ', AUTHPLANE_SERVER_FAST_PATHS: 'true' },
  });
  for (const path of PATHS) {
    // An Origin (not an allowed one: no CORS headers) sends the request through koa; without it, the static path.
    const direct = await raw(`${url}${path}`);
    const viaKoa = await raw(`${url}${path}`, { headers: { origin: 'https://elsewhere.example' } });
    assert.equal(header(viaKoa, 'vary'), 'Origin, Accept-Encoding', `${path}: the koa route answered the request with an Origin`);
    assert.equal(header(direct, 'vary'), 'Accept-Encoding');
    assert.equal(direct.status, 200);
    assert.deepEqual(comparable(direct), comparable(viaKoa), `${path}: same headers in the same order`);
    assert.equal(direct.body, viaKoa.body);
    assert.equal(header(direct, 'Strict-Transport-Security'), 'max-age=31536000; includeSubDomains', 'https issuer: HSTS');

    const etag = header(direct, 'ETag')!;
    for (const inm of [etag, `W/"other", ${etag}`]) {
      const fresh = await raw(`${url}${path}?cache=1`, { headers: { 'if-none-match': inm } });
      const freshKoa = await raw(`${url}${path}`, { headers: { 'if-none-match': inm, origin: 'https://elsewhere.example' } });
      assert.equal(fresh.status, 304, `${path}: If-None-Match ${inm}`);
      assert.equal(fresh.body, '');
      assert.equal(freshKoa.status, 304);
      assert.deepEqual(comparable(fresh), comparable(freshKoa), `${path}: the same 304`);
    }
    assert.equal((await raw(`${url}${path}`, { headers: { 'if-none-match': '"stale"' } })).status, 200);

    const head = await raw(`${url}${path}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(header(head, 'Content-Length'), String(Buffer.byteLength(direct.body)));
  }
});

const decode = (r: RawResponse) => {
  const coding = header(r, 'Content-Encoding');
  return (coding === 'br' ? brotliDecompressSync(r.bytes) : coding === 'gzip' ? gunzipSync(r.bytes) : r.bytes).toString('utf8');
};

test('discovery and the JWKS are served gzip or br per Accept-Encoding, each with its own ETag and 304, the same ahead of koa', async (t) => {
  const { url } = await startServer(t, {
    config: { server: { issuer: 'https://auth.example.com' } },
    env: { AUTHPLANE_SESSION_SECRET: 'Vq3nX8pL2sK9dR4tW7yB1cM6hJ5gF0aZ', AUTHPLANE_SERVER_FAST_PATHS: 'true' },
  });
  const cases: [string | undefined, string | undefined][] = [
    [undefined, undefined],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['gzip;q=0, br;q=0', undefined],
    ['*', 'br'],
    ['identity', undefined],
    ['deflate', undefined],
  ];
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    const plain = await raw(`${url}${path}`);
    const document = plain.body;
    const etags = new Map<string | undefined, string>();
    for (const [acceptEncoding, expected] of cases) {
      const headers: Record<string, string> = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
      const direct = await raw(`${url}${path}`, { headers });
      const viaKoa = await raw(`${url}${path}`, { headers: { ...headers, origin: 'https://elsewhere.example' } });
      const what = `${path} with Accept-Encoding ${acceptEncoding}`;
      assert.equal(direct.status, 200, what);
      assert.equal(header(direct, 'Content-Encoding'), expected, what);
      assert.equal(header(direct, 'Vary'), 'Accept-Encoding', what);
      assert.deepEqual(comparable(direct), comparable(viaKoa), `${what}: same headers in the same order`);
      assert.deepEqual(direct.bytes, viaKoa.bytes, `${what}: the same bytes`);
      assert.equal(decode(direct), document, `${what}: decodes to the identical document`);
      if (expected) assert.ok(direct.bytes.length < plain.bytes.length, `${what}: smaller`);
      assert.equal(header(direct, 'Content-Length'), String(direct.bytes.length));

      const etag = header(direct, 'ETag')!;
      assert.match(etag, /^"[^"]+"$/, `${what}: a strong ETag`);
      if (etags.has(expected)) assert.equal(etags.get(expected), etag, `${what}: one ETag per representation`);
      etags.set(expected, etag);
      for (const inm of [etag, `"other", ${etag}`, `W/${etag}`]) {
        const fresh = await raw(`${url}${path}`, { headers: { ...headers, 'if-none-match': inm } });
        const freshKoa = await raw(`${url}${path}`, { headers: { ...headers, 'if-none-match': inm, origin: 'https://elsewhere.example' } });
        assert.equal(fresh.status, 304, `${what}, If-None-Match ${inm}`);
        assert.equal(fresh.bytes.length, 0);
        assert.equal(header(fresh, 'ETag'), etag);
        assert.equal(header(fresh, 'Vary'), 'Accept-Encoding', 'RFC 9110 §15.4.5: a 304 carries the Vary of the 200');
        assert.equal(freshKoa.status, 304);
        assert.deepEqual(comparable(fresh), comparable(freshKoa), `${what}: the same 304`);
      }
      const head = await raw(`${url}${path}`, { method: 'HEAD', headers });
      assert.equal(head.bytes.length, 0);
      assert.equal(header(head, 'Content-Length'), String(direct.bytes.length), `${what}: HEAD`);
      assert.equal(header(head, 'Content-Encoding'), expected);
    }
    assert.equal(new Set(etags.values()).size, 3, `${path}: identity, gzip and br each have their own ETag`);
    // A cache holding the identity form revalidates it while accepting br: it keeps what it has.
    const kept = await raw(`${url}${path}`, { headers: { 'accept-encoding': 'br', 'if-none-match': etags.get(undefined)! } });
    assert.equal(kept.status, 304);
    assert.equal(header(kept, 'ETag'), etags.get(undefined));
    assert.equal((await raw(`${url}${path}`, { headers: { 'accept-encoding': 'gzip', 'if-none-match': `${etags.get(undefined)!.slice(0, -1)}-zstd"` } })).status, 200);
  }
});

test('static documents echo a safe X-Request-ID, replace an unsafe one and are counted in /metrics', async (t) => {
  const { url, adminUrl } = await startServer(t);
  const echoed = await raw(`${url}/.well-known/jwks.json`, { headers: { 'x-request-id': 'trace-me.42' } });
  assert.equal(header(echoed, 'X-Request-ID'), 'trace-me.42');
  const replaced = await raw(`${url}/.well-known/jwks.json`, { headers: { 'x-request-id': 'no spaces <allowed>' } });
  assert.match(header(replaced, 'X-Request-ID') ?? '', /^[0-9a-f-]{36}$/);

  for (let i = 0; i < 3; i++) await raw(`${url}/.well-known/openid-configuration`);
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_http_requests_total\{method="GET",route="\/\.well-known\/jwks\.json",status="200"\} 2/);
  assert.match(metrics, /authserver_http_requests_total\{method="GET",route="\/\.well-known\/openid-configuration",status="200"\} 3/);
  assert.match(metrics, /authserver_http_request_duration_seconds_count\{method="GET",route="\/\.well-known\/jwks\.json"\} 2/);
});

test('a key rotation shows in the JWKS at once; other methods still get 405 from the router', async (t) => {
  const { url, admin } = await startServer(t);
  const before = JSON.parse((await raw(`${url}/.well-known/jwks.json`)).body) as { keys: unknown[] };
  assert.equal((await admin('/admin/keys/rotate', { method: 'POST' })).status, 201);
  const after = await raw(`${url}/.well-known/jwks.json`);
  assert.equal((JSON.parse(after.body) as { keys: unknown[] }).keys.length, before.keys.length + 1);

  const post = await raw(`${url}/.well-known/jwks.json`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(header(post, 'Allow'), 'HEAD, GET');
});

test('the access log has a line for a static document like for any request', async (t) => {
  const { url, logs } = await startServer(t);
  await raw(`${url}/.well-known/jwks.json`, { headers: { 'x-request-id': 'logged-1' } });
  // pino writes asynchronously: wait for the line rather than for a fixed time.
  const line = await waitFor('the access-log line of request logged-1', () => logs.find((l) => l.request_id === 'logged-1'), {
    lastSeen: () => logs.slice(-5),
  });
  assert.equal(line.msg, 'request');
  assert.equal(line.route, '/.well-known/jwks.json');
  assert.equal(line.status, 200);
  assert.equal(line.listener, 'public');
  assert.equal(typeof line.duration_ms, 'number');
});
