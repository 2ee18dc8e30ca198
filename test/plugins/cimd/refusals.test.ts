/** Metadata documents that must not make a client: SSRF targets, redirects, oversized, slow or lying documents. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { AuthPlane } from 'authplane';
import { cimd, clients, dcr, keystoreKeyfile, storageSqlite } from 'authplane/plugins';
import { authorizeUrl, tokenRequest } from '../oauth/flow.js';
import type { OAuthFixture } from '../oauth/setup.js';
import { freePort, tempDir } from '../../helpers/server.js';
import { cimdServer, claudeCodeLike, clockedResolver, gate, heldDocument, startDocumentHost, untilHits } from './setup.js';

/** The authorize endpoint's answer for a client_id: a 400 page says why the application is unknown. */
async function refusal(fx: OAuthFixture, clientId: string): Promise<string> {
  const response = await fetch(authorizeUrl(fx, { client_id: clientId, redirect_uri: 'http://127.0.0.1:9999/callback' }), { redirect: 'manual' });
  const body = await response.text();
  assert.equal(response.status, 400, `${clientId}: ${body.slice(0, 300)}`);
  assert.match(body, /Unknown application/);
  return body.replace(/&#39;/g, "'").replace(/&quot;/g, '"');
}

async function fetchOutcomes(fx: OAuthFixture): Promise<string> {
  return (await (await fx.admin('/metrics')).text()).split('\n').filter((l) => l.startsWith('authserver_cimd_fetch_duration_seconds_count')).join('\n');
}

test('without allowPrivateAddresses a document host that resolves to loopback is never contacted, in any IPv6 spelling', async (t) => {
  const fx = await cimdServer(t, { cimdOptions: { allowPrivateAddresses: false } });
  const host = await startDocumentHost(t);
  host.serve('/client.json', claudeCodeLike);
  const hosts = [
    'localhost',
    '127.0.0.1',
    '[::1]',
    '[::ffff:127.0.0.1]',
    // IPv4-translated (RFC 2765) and NAT64 (RFC 6052) spellings of 127.0.0.1.
    '[::ffff:0:7f00:1]',
    '[64:ff9b::7f00:1]',
    '[2002:7f00:1::1]',
  ];
  for (const name of hosts) {
    const clientId = `https://${name}:${host.port}/client.json`;
    const body = await refusal(fx, clientId);
    assert.match(body, /metadata document could not be fetched/, clientId);
  }
  assert.equal(host.hits('/client.json'), 0);
  assert.match(await fetchOutcomes(fx), new RegExp(`outcome="refused_address"\\} ${hosts.length}`));
  // The reason is the operator's, in the log.
  const reasons = fx.logs.filter((l) => l.msg === 'client metadata document refused').map((l) => String(l.reason));
  assert.ok(reasons.some((r) => /::ffff:0:7f00:1 is in a IPv4-translated/.test(r)), reasons.join('\n'));
  assert.ok(reasons.some((r) => /embeds 127\.0\.0\.1, which is in a loopback/.test(r)), reasons.join('\n'));
  // http client_ids are not metadata documents here, so the clients plugin answers: unknown.
  const body = await refusal(fx, `${host.origin}/client.json`);
  assert.match(body, /not registered here/);
  assert.equal(host.hits('/client.json'), 0);
});

test('a closed port, a port that never answers and a non-public address read the same on the refusal page', async (t) => {
  const fx = await cimdServer(t, { cimdOptions: { fetchTimeout: 0.3 } });
  const host = await startDocumentHost(t);
  const silent = host.route('/silent.json', async () => {
    await sleep(3000);
  });
  const closed = `http://127.0.0.1:${await freePort()}/client.json`;
  const pages = [await refusal(fx, silent), await refusal(fx, closed)];
  for (const page of pages) {
    assert.match(page, /metadata document could not be fetched/);
    assert.doesNotMatch(page, /ECONNREFUSED|refused|within|timed out|ms\b/i);
  }
  const blocked = await cimdServer(t, { cimdOptions: { allowPrivateAddresses: false } });
  assert.match(await refusal(blocked, `https://127.0.0.1:${host.port}/client.json`), /metadata document could not be fetched/);
  const reasons = fx.logs.filter((l) => l.msg === 'client metadata document refused').map((l) => `${l.outcome}: ${l.reason}`);
  assert.ok(reasons.some((r) => /^timeout: .*not received within 300 ms/.test(r)), reasons.join('\n'));
  assert.ok(reasons.some((r) => /^network_error: .*ECONNREFUSED/.test(r)), reasons.join('\n'));
  // The detail is logged for the operator, on a line that carries the request's ids like every other line of it.
  for (const line of fx.logs.filter((l) => l.msg === 'client metadata document refused')) {
    assert.match(String(line.request_id), /\S/);
    assert.match(String(line.trace_id), /^[0-9a-f]{32}$/);
    assert.match(String(line.span_id), /^[0-9a-f]{16}$/);
  }
});

test('a metadata document URL that redirects is refused and the redirect is not followed', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  host.serve('/real.json', claudeCodeLike);
  const clientId = host.route('/moved.json', (_req, res) => void res.writeHead(302, { location: `${host.origin}/real.json` }).end());
  assert.match(await refusal(fx, clientId), /answered 302; redirects are not followed/);
  assert.equal(host.hits('/real.json'), 0);
  assert.match(await fetchOutcomes(fx), /outcome="redirect"\} 1/);
});

test('an oversized document is refused, whether it declares its length or streams without one', async (t) => {
  const fx = await cimdServer(t, { cimdOptions: { maxDocumentSize: 1024 } });
  const host = await startDocumentHost(t);
  const padded = (url: string) => ({ ...claudeCodeLike(url), client_uri: `https://example.com/${'x'.repeat(2000)}` });
  const declared = host.serve('/declared.json', padded);
  const streamed = host.route('/streamed.json', async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const text = JSON.stringify(padded(`${host.origin}/streamed.json`));
    for (let i = 0; i < text.length; i += 200) {
      res.write(text.slice(i, i + 200));
      await sleep(5);
    }
    res.end();
  });
  for (const clientId of [declared, streamed]) assert.match(await refusal(fx, clientId), /larger than 1024 bytes/, clientId);
  assert.match(await fetchOutcomes(fx), /outcome="too_large"\} 2/);
});

test('a document whose client_id is not its URL, or that lacks client_name or redirect_uris, is refused', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  const cases: [string, (url: string) => Record<string, unknown>, RegExp][] = [
    ['/other-id.json', (url) => ({ ...claudeCodeLike(url), client_id: `${url}?x=1` }), /client_id: must equal the URL/],
    ['/trailing.json', (url) => ({ ...claudeCodeLike(url), client_id: `${url}/` }), /client_id: must equal the URL/],
    ['/no-name.json', (url) => ({ ...claudeCodeLike(url), client_name: undefined }), /client_name: is required/],
    ['/no-redirects.json', (url) => ({ ...claudeCodeLike(url), redirect_uris: undefined }), /redirect_uris: is required/],
    ['/secret.json', (url) => ({ ...claudeCodeLike(url), token_endpoint_auth_method: 'client_secret_basic' }), /token_endpoint_auth_method: must be none/],
    ['/bad-redirect.json', (url) => ({ ...claudeCodeLike(url), redirect_uris: ['http://app.example.com/cb'] }), /redirect_uris\.0: must use https/],
    ['/userinfo.json', (url) => ({ ...claudeCodeLike(url), redirect_uris: ['http://evil@127.0.0.1/cb'] }), /redirect_uris\.0: must not contain user information/],
    ['/empty-userinfo.json', (url) => ({ ...claudeCodeLike(url), redirect_uris: ['http://@localhost/cb'] }), /redirect_uris\.0: must not contain user information/],
    ['/cc.json', (url) => ({ ...claudeCodeLike(url), grant_types: ['client_credentials'] }), /grant_types\.0: must be one of: authorization_code, refresh_token/],
  ];
  for (const [path, document, why] of cases) assert.match(await refusal(fx, host.serve(path, document)), why, path);
  const html = host.route('/page.html', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
  assert.match(await refusal(fx, html), /not application\/json/);
  const broken = host.route('/broken.json', (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"client_id":'));
  assert.match(await refusal(fx, broken), /not valid JSON/);
  const missing = `${host.origin}/missing.json`;
  assert.match(await refusal(fx, missing), /answered 404/);
  const { clients: rows } = await (await fx.admin('/admin/clients?source=cimd')).json();
  assert.deepEqual(rows, []);
});

test('client_id URLs without a path, with a fragment, dot segments or user information are refused without a fetch', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  const cases: [string, RegExp][] = [
    [`${host.origin}/`, /must have a path/],
    [`${host.origin}/client.json#frag`, /must not contain a fragment/],
    [`${host.origin}/a/../client.json`, /must not contain dot segments/],
    [`${host.origin}/a/%2e%2e/client.json`, /must not contain dot segments/],
    [`http://user:pw@127.0.0.1:${host.port}/client.json`, /must not contain user information/],
    [`http://@127.0.0.1:${host.port}/client.json`, /must not contain user information/],
  ];
  for (const [clientId, why] of cases) assert.match(await refusal(fx, clientId), why, clientId);
  assert.equal(host.hits('/client.json'), 0);
});

test('a slow document server is cut off at cimd.fetchTimeout, whether it delays headers or trickles the body', async (t) => {
  const fx = await cimdServer(t, { cimdOptions: { fetchTimeout: 0.3 } });
  const host = await startDocumentHost(t);
  const slowHeaders = host.route('/slow-headers.json', async (_req, res) => {
    await sleep(3000);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  const slowBody = host.route('/slow-body.json', async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < 30 && !res.destroyed; i++) {
      res.write(' ');
      await sleep(100);
    }
    res.end('{}');
  });
  for (const clientId of [slowHeaders, slowBody]) {
    const started = Date.now();
    assert.match(await refusal(fx, clientId), /metadata document could not be fetched/);
    assert.ok(Date.now() - started < 2000, `gave up after ${Date.now() - started} ms`);
  }
  assert.match(await fetchOutcomes(fx), /outcome="timeout"\} 2/);
});

test('a failed fetch is remembered at authorize and at the token endpoint alike', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  let broken = true;
  const clientId = host.serve('/flaky.json', (url) => (broken ? { ...claudeCodeLike(url), client_name: '' } : claudeCodeLike(url)));
  await refusal(fx, clientId);
  broken = false;
  await refusal(fx, clientId);
  const token = await tokenRequest(fx, { grant_type: 'authorization_code', code: 'x', code_verifier: 'y'.repeat(43), client_id: clientId });
  assert.equal(token.status, 401, 'the token endpoint sees the same remembered failure');
  assert.equal(host.hits('/flaky.json'), 1, 'the failure was remembered, not fetched again');
});

test('a failed fetch is remembered for cimd.failureCacheTtl, then the URL is tried again', async (t) => {
  const fx = await cimdServer(t);
  const host = await startDocumentHost(t);
  const { clock, resolve } = clockedResolver(fx, { failureCacheTtl: 10 });
  let broken = true;
  const clientId = host.serve('/flaky.json', (url) => (broken ? { ...claudeCodeLike(url), client_name: '' } : claudeCodeLike(url)));
  await assert.rejects(resolve(clientId), /client_name: is required/);
  broken = false;
  clock.advance(9_999);
  await assert.rejects(resolve(clientId), /client_name: is required/);
  assert.equal(host.hits('/flaky.json'), 1, 'remembered for 10 s');
  clock.advance(2);
  assert.equal((await resolve(clientId))!.client_name, 'Claude Code (test)');
  assert.equal(host.hits('/flaky.json'), 2);
});

test('allowPrivateAddresses with an issuer that is not localhost stops boot', (t) => {
  const dir = tempDir(t);
  assert.throws(
    () =>
      new AuthPlane(
        {
          server: { issuer: 'https://auth.example.com' },
          storage: { sqlite: { path: `${dir}/db.sqlite` } },
          plugins: [storageSqlite(), keystoreKeyfile(), clients(), dcr(), cimd({ allowPrivateAddresses: true })],
        },
        { env: { AUTHPLANE_ADMIN_API_KEY: randomBytes(24).toString('hex'), AUTHPLANE_SESSION_SECRET: randomBytes(32).toString('hex') } },
      ),
    (err: { code?: string; message?: string }) => err.code === 'AP_ERR_CIMD_PRIVATE_ADDRESSES' && /allowed only with a localhost issuer/.test(err.message ?? ''),
  );
});

test('no more than cimd.maxConcurrentFetches documents are fetched at once', async (t) => {
  const fx = await cimdServer(t, { cimdOptions: { maxConcurrentFetches: 2, maxConcurrentFetchesPerRequester: 16, maxConcurrentFetchesPerHost: 16 } });
  const host = await startDocumentHost(t);
  const held = gate();
  const ids = ['/a.json', '/b.json', '/c.json'].map((path) => heldDocument(host, path, held));
  const look = (clientId: string) => fetch(authorizeUrl(fx, { client_id: clientId, redirect_uri: 'http://127.0.0.1:9999/callback' }), { redirect: 'manual' });
  const first = [look(ids[0]!), look(ids[1]!)];
  await untilHits(host, ['/a.json', '/b.json'], 2);
  const third = await look(ids[2]!);
  assert.equal(third.status, 400);
  assert.match(await third.text(), /too many client metadata documents are being fetched; try again/);
  held.release();
  assert.deepEqual((await Promise.all(first)).map((r) => r.status), [302, 302]);
  assert.equal(host.hits('/c.json'), 0);
  assert.equal((await look(ids[2]!)).status, 302, 'a refusal for capacity is not remembered');
});
