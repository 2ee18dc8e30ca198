/** Shared bits of the broker tests: a server with the broker, what it depends on and the service probe, and provider bodies. */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { broker, clients, fronting, oauth, resources, tokenExchange, users, type BrokerProvider, type OAuthProvider } from 'authplane/plugins';
import { brokerProbe } from '../../fixtures/plugins/broker-probe.js';
import { startServer, type TestServer } from '../../helpers/server.js';

export const STORAGES = ['sqlite', 'postgres'] as const;
export type Storage = (typeof STORAGES)[number];
export type BrokerOptions = Parameters<typeof broker>[0];

/** The value of GITHUB_CLIENT_SECRET in the servers' environment: no response, log line or audit event may hold it. */
export const GITHUB_SECRET = 'gh-secret-value-7c1d0e55b2a94f0e';

/** The broker's master key in the servers' environment (else a loopback issuer writes a development key file). */
export const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

/** What the broker depends on: resources, oauth (consents) and token-exchange (vends), and theirs. */
export function brokerDependencies(resourceOptions?: Parameters<typeof resources>[0]) {
  return [clients(), users(), resources(resourceOptions), oauth(), fronting(), tokenExchange()];
}

/** The same plugins in a config file the CLI loads: its import line and plugin list. */
export const BROKER_CONFIG_PLUGINS = {
  imports: ["import { broker, clients, fronting, oauth, resources, tokenExchange, users } from 'authplane/plugins';"],
  plugins: ['clients()', 'users()', 'resources()', 'oauth()', 'fronting()', 'tokenExchange()', 'broker()'],
};

export function startBrokerServer(
  t: TestContext,
  options: {
    broker?: BrokerOptions;
    resources?: Parameters<typeof resources>[0];
    env?: NodeJS.ProcessEnv;
    storage?: Storage;
    dir?: string;
    /** The issuer is the listener's own URL (the connect callback is `<issuer>/connect/<slug>/callback`). */
    exactIssuer?: boolean;
    /** The server's clock (a `testClock()`), to move past a connect's expiry. */
    now?: () => number;
    /** More plugins (the admin console). */
    extra?: NonNullable<Parameters<typeof startServer>[1]>['plugins'];
  } = {},
): Promise<TestServer> {
  return startServer(t, {
    plugins: [...brokerDependencies(options.resources), broker(options.broker), brokerProbe(), ...(options.extra ?? [])],
    ...(options.exactIssuer ? { exactIssuer: true } : {}),
    ...(options.now ? { now: options.now } : {}),
    env: { GITHUB_CLIENT_SECRET: GITHUB_SECRET, AUTHPLANE_BROKER_MASTER_KEY: MASTER_KEY, ...options.env },
    storage: options.storage,
    dir: options.dir,
  });
}

/** GitHub's recipe of docs/broker.md. */
export const githubProvider = (overrides: Record<string, unknown> = {}, config: Record<string, unknown> = {}) => ({
  slug: 'github',
  display_name: 'GitHub',
  protocol: 'oauth',
  config: {
    client_id: 'Iv1.0123456789abcdef',
    client_secret_ref: 'GITHUB_CLIENT_SECRET',
    authorize_url: 'https://github.com/login/oauth/authorize',
    token_url: 'https://github.com/login/oauth/access_token',
    default_scopes: ['repo', 'read:org'],
    scope_separator: ' ',
    response_quirk: 'github',
    token_auth_method: 'client_secret_post',
    ...config,
  },
  ...overrides,
});

export const brokerResource = (overrides: Record<string, unknown> = {}) => ({
  slug: 'github-mcp',
  display_name: 'GitHub MCP',
  uri: 'https://gh.example.com/mcp',
  backend_kind: 'broker',
  broker_provider_id: 'github',
  scopes: [{ name: 'repo:read', upstream: ['repo'] }],
  ...overrides,
});

export const json = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });
export const patch = (body: unknown): RequestInit => ({ method: 'PATCH', body: JSON.stringify(body) });

/** One request a loopback token endpoint received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  form: Record<string, string>;
}

export interface TokenEndpoint {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Answers requests to `path` with `handler`; returns the URL. */
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse, form: Record<string, string>) => void | Promise<void>): string;
  /** Answers `path` with a JSON body and status. */
  json(path: string, body: unknown, status?: number): string;
  received: ReceivedRequest[];
}

/** A loopback HTTP server standing in for an upstream token endpoint: records each request's form, answers as told. */
export async function startTokenEndpoint(t: TestContext): Promise<TokenEndpoint> {
  const routes = new Map<string, Parameters<TokenEndpoint['route']>[1]>();
  const received: ReceivedRequest[] = [];
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      received.push({ method: req.method ?? '', path, headers: req.headers, form });
      const handler = routes.get(path);
      if (!handler) return void res.writeHead(404).end();
      await handler(req, res, form);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  );
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const endpoint: TokenEndpoint = {
    origin,
    received,
    route(path, handler) {
      routes.set(path, handler);
      return `${origin}${path}`;
    },
    json(path, body, status = 200) {
      return endpoint.route(path, (_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
      });
    },
  };
  return endpoint;
}

/** A provider created through the admin API (so validated, defaults filled in), read back through the service. */
export async function createProvider<P extends BrokerProvider = OAuthProvider>(server: TestServer, body: Record<string, unknown>): Promise<P> {
  const created = await server.admin('/admin/broker-providers', json(body));
  if (created.status !== 201) throw new Error(`creating provider ${String(body.slug)}: ${created.status} ${await created.text()}`);
  return (await (await server.admin(`/admin/probe/broker-providers/${String(body.slug)}`)).json()) as P;
}
