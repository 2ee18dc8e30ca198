/**
 * A server with the core OAuth plugins, dcr and cimd (private addresses allowed: its issuer is 127.0.0.1), and a
 * local HTTP server that plays the client's website, serving metadata documents and counting fetches.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { cimd, dcr } from 'authplane/plugins';
import type { PluginInstance, RequestInfo } from 'authplane';
import { Histogram } from 'prom-client';
import { MetadataDocumentResolver } from '../../../plugins/cimd/resolver.js';
import type { CimdOptions } from '../../../plugins/cimd/schema.js';
import { oauthServer, type OAuthFixture } from '../oauth/setup.js';

export type DocumentHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface DocumentHost {
  origin: string;
  port: number;
  /** Serves `path` with `handler`; returns the document URL. */
  route(path: string, handler: DocumentHandler): string;
  /** Serves a JSON document at `path` whose client_id is its own URL, with extra headers. */
  serve(path: string, document: (url: string) => Record<string, unknown>, headers?: Record<string, string>): string;
  /** Requests received per path. */
  hits(path: string): number;
}

export async function startDocumentHost(t: TestContext): Promise<DocumentHost> {
  const routes = new Map<string, DocumentHandler>();
  const counts = new Map<string, number>();
  const http = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (!handler) return void res.writeHead(404).end();
    await handler(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  );
  const port = (http.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const host: DocumentHost = {
    origin,
    port,
    route(path, handler) {
      routes.set(path, handler);
      return `${origin}${path}`;
    },
    serve(path, document, headers = {}) {
      const url = `${origin}${path}`;
      return host.route(path, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(document(url)));
      });
    },
    hits: (path) => counts.get(path) ?? 0,
  };
  return host;
}

/** A metadata document as Claude Code publishes one: a loopback redirect URI without a port. */
export const claudeCodeLike = (url: string): Record<string, unknown> => ({
  client_id: url,
  client_name: 'Claude Code (test)',
  client_uri: 'https://claude.example.com',
  redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
});

export async function cimdServer(
  t: TestContext,
  options: { cimdOptions?: Record<string, unknown>; extra?: PluginInstance[]; storage?: 'sqlite' | 'postgres'; env?: NodeJS.ProcessEnv } = {},
): Promise<OAuthFixture> {
  return oauthServer(t, {
    storage: options.storage,
    env: options.env,
    extra: [dcr(), cimd({ allowPrivateAddresses: true, ...options.cimdOptions } as never), ...(options.extra ?? [])],
  });
}

/**
 * The cimd plugin's resolver over a running server's clients and DCR settings, with a clock the test moves: cache
 * expiry is tested by advancing it, not by sleeping.
 */
export function clockedResolver(fx: OAuthFixture, options: Partial<CimdOptions> = {}, startAt = Date.now()) {
  const runtime = fx.server.runtimeApi('cimd');
  const clock = {
    now: startAt,
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const resolver = new MetadataDocumentResolver(
    {
      allowPrivateAddresses: true,
      fetchTimeout: 5,
      maxDocumentSize: 65536,
      cacheTtl: 3600,
      failureCacheTtl: 10,
      maxConcurrentFetches: 16,
      maxConcurrentFetchesPerRequester: 16,
      maxConcurrentFetchesPerHost: 16,
      ...options,
    },
    {
      runtime: () => runtime,
      clients: () => runtime.use('clients'),
      settings: () => runtime.use('dcrSettings'),
      refreshEnabled: () => true,
      fetchDuration: new Histogram({ name: 'test_cimd_fetch_duration_seconds', help: 'test', labelNames: ['outcome'] as const, registers: [] }),
      now: () => clock.now,
    },
  );
  const request: RequestInfo = { method: 'GET', url: `${fx.url}/oauth/authorize`, ip: '127.0.0.1', headers: {}, requestId: 'test' };
  return { clock, resolve: (clientId: string) => resolver.resolve(clientId, request) };
}

/** A promise the test resolves when it chooses: documents held open until then. */
export function gate(): { release: () => void; waiting: Promise<void> } {
  let release!: () => void;
  const waiting = new Promise<void>((resolve) => (release = resolve));
  return { release, waiting };
}

/** A metadata document that is sent only once `held` is released, so fetches stay in flight as long as a test needs. */
export function heldDocument(host: DocumentHost, path: string, held: { waiting: Promise<void> }): string {
  return host.route(path, async (_req, res) => {
    await held.waiting;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(claudeCodeLike(`${host.origin}${path}`)));
  });
}

/** Waits (up to 15 s, for a loaded machine) until the document host has received `count` requests on `paths`. */
export async function untilHits(host: DocumentHost, paths: string[], count: number): Promise<void> {
  for (let i = 0; i < 600 && paths.reduce((n, p) => n + host.hits(p), 0) < count; i++) await sleep(25);
}
