import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import Koa from 'koa';
import { koaRequestHandler } from '../../../kernel/fast-path/koa-cycle.js';

/** Every kind of body a route can leave in ctx.body, by path. */
function app(): Koa {
  const koa = new Koa();
  koa.silent = true;
  koa.use(async (ctx, next) => {
    ctx.set('X-Seen', 'yes');
    await next();
  });
  koa.use(async (ctx) => {
    switch (ctx.path) {
      case '/string':
        ctx.type = 'application/json; charset=utf-8';
        ctx.body = '{"a":1}';
        break;
      case '/html':
        ctx.body = '<p>hi</p>';
        break;
      case '/buffer':
        ctx.body = Buffer.from('bytes');
        break;
      case '/object':
        ctx.body = { a: [1, 2], b: 'é' };
        break;
      case '/array':
        ctx.body = [1, 'two'];
        break;
      case '/null':
        ctx.body = null;
        break;
      case '/status-only':
        ctx.status = 202;
        break;
      case '/no-content':
        ctx.status = 204;
        break;
      case '/not-modified':
        ctx.body = 'ignored';
        ctx.status = 304;
        break;
      case '/stream':
        ctx.type = 'text/plain';
        ctx.body = Readable.from(['a', 'b', 'c']);
        break;
      case '/blob':
        ctx.body = new Blob(['blob body']);
        break;
      case '/web-stream':
        ctx.body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('web')), c.close()) });
        break;
      case '/response':
        ctx.body = new Response('from a Response');
        break;
      case '/throws':
        throw Object.assign(new Error('boom'), { status: 418, expose: true });
      case '/crash':
        throw new Error('secret detail');
      case '/bypass':
        ctx.respond = false;
        ctx.res.statusCode = 200;
        ctx.res.end('by hand');
        break;
      default:
      // nothing: koa's 404
    }
  });
  return koa;
}

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function fetchRaw(port: number, method: string, path: string): Promise<{ status: number; headers: [string, string][]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        const headers: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i]!.toLowerCase();
          if (name !== 'date') headers.push([name, res.rawHeaders[i + 1]!]);
        }
        resolve({ status: res.statusCode!, headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test("koaRequestHandler answers exactly what koa's own callback answers, for every kind of body", async () => {
  const koaPort = await listen(app().callback());
  const ourPort = await listen(koaRequestHandler(app()));
  const paths = ['/string', '/html', '/buffer', '/object', '/array', '/null', '/status-only', '/no-content', '/not-modified',
    '/stream', '/blob', '/web-stream', '/response', '/throws', '/crash', '/bypass', '/missing'];
  for (const method of ['GET', 'HEAD']) {
    for (const path of paths) {
      const [theirs, ours] = [await fetchRaw(koaPort, method, path), await fetchRaw(ourPort, method, path)];
      assert.deepEqual(ours, theirs, `${method} ${path}`);
    }
  }
  // The cases differ from each other, so the comparison above could fail.
  const crash = await fetchRaw(ourPort, 'GET', '/crash');
  assert.equal(crash.status, 500);
  assert.equal(crash.body, 'Internal Server Error');
  assert.equal((await fetchRaw(ourPort, 'GET', '/stream')).body, 'abc');
  assert.equal((await fetchRaw(ourPort, 'GET', '/object')).body, '{"a":[1,2],"b":"é"}');
  assert.equal((await fetchRaw(ourPort, 'GET', '/throws')).status, 418);
});
