/**
 * The console as HTTP serves it: the shell document with a strict CSP, one hashed bundle built from the registered
 * pages only (immutable, gzip, ETag), within the JavaScript budget.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { adminUi, clients, issuances, resources, users } from 'authplane/plugins';
import { startServer, type TestServer } from '../../helpers/server.js';

/** The budget of issue 26: the shell and its first page, gzipped, as served. */
const JS_BUDGET_GZIP = 150 * 1024;
const timeout = () => AbortSignal.timeout(120_000);

async function bundleOf(server: TestServer): Promise<{ url: string; gzip: Buffer; js: string; response: Response }> {
  const html = await (await fetch(`${server.adminUrl}/admin/ui/`, { signal: timeout() })).text();
  const src = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
  assert.ok(src, `no module script in ${html}`);
  const url = `${server.adminUrl}${src}`;
  // fetch would decompress: ask node's fetch for the encoded bytes through a raw request instead.
  const response = await fetch(url, { headers: { 'accept-encoding': 'gzip' }, signal: timeout() });
  const { request } = await import('node:http');
  const gzip = await new Promise<Buffer>((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
    })
      .on('error', reject)
      .end();
  });
  return { url, gzip, js: gunzipSync(gzip).toString('utf8'), response };
}

test('the shell is served with a strict CSP, and /admin/ui redirects to it', async (t) => {
  const server = await startServer(t, { plugins: [adminUi()] });
  const redirect = await fetch(`${server.adminUrl}/admin/ui`, { redirect: 'manual', signal: timeout() });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/admin/ui/');

  const shell = await fetch(`${server.adminUrl}/admin/ui/`, { signal: timeout() });
  assert.equal(shell.status, 200);
  assert.match(shell.headers.get('content-type')!, /^text\/html/);
  const csp = shell.headers.get('content-security-policy')!;
  for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
    assert.ok(csp.split('; ').includes(directive), `${directive} missing from ${csp}`);
  }
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  const html = await shell.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  assert.doesNotMatch(html, /<style|style=/, 'no inline style');
  assert.doesNotMatch(html, /https?:\/\//, 'nothing loaded from another origin');

  const etag = shell.headers.get('etag')!;
  const again = await fetch(`${server.adminUrl}/admin/ui/`, { headers: { 'if-none-match': etag }, signal: timeout() });
  assert.equal(again.status, 304);
  assert.equal(shell.headers.get('cache-control'), 'no-cache');

  // The console's own documents need no credential; the admin API behind it does.
  assert.equal((await fetch(`${server.adminUrl}/admin/ui/session`, { signal: timeout() })).status, 401);
  const session = await server.admin('/admin/ui/session');
  assert.deepEqual(await session.json(), { kind: 'key', admin: true, actor_id: 'admin-api', user: null });
});

test('the bundle is hashed, immutable, gzipped, within 150 KB gzipped with the first page, and has only the registered pages', async (t) => {
  const full = await startServer(t, { plugins: [clients(), resources(), users(), issuances(), adminUi()] });
  const bundle = await bundleOf(full);
  assert.match(bundle.url, /\/admin\/ui\/assets\/console-[A-Za-z0-9_-]{16}\.js$/);
  assert.equal(bundle.response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match(bundle.response.headers.get('content-type')!, /^text\/javascript/);
  assert.ok(
    bundle.gzip.length <= JS_BUDGET_GZIP,
    `the console's JavaScript is ${bundle.gzip.length} bytes gzipped, over the ${JS_BUDGET_GZIP}-byte budget`,
  );
  t.diagnostic(`console bundle: ${bundle.js.length} bytes, ${bundle.gzip.length} gzipped`);
  assert.ok(bundle.js.includes('ap-clients-page') && bundle.js.includes('ap-overview-page'));
  const cached = await fetch(bundle.url, { headers: { 'if-none-match': bundle.response.headers.get('etag')! }, signal: timeout() });
  assert.equal(cached.status, 304);
  const unknown = await fetch(`${full.adminUrl}/admin/ui/assets/console-0000000000000000.js`, { signal: timeout() });
  assert.equal(unknown.status, 404);

  // Without the clients plugin: no page, no route, no code of it.
  const minimal = await startServer(t, { plugins: [adminUi()] });
  const small = await bundleOf(minimal);
  assert.ok(small.js.includes('ap-overview-page'));
  assert.ok(!small.js.includes('ap-clients-page'), 'the clients page is in a bundle without the clients plugin');
  assert.ok(!small.js.includes('/admin/clients/'), 'the clients page code is in a bundle without the clients plugin');
  assert.ok(small.gzip.length < bundle.gzip.length);
});
