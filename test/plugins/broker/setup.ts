/** Shared bits of the broker tests: a server with resources, broker and the service probe, and provider bodies. */
import type { TestContext } from 'node:test';
import { broker, resources } from 'authplane/plugins';
import { brokerProbe } from '../../fixtures/plugins/broker-probe.js';
import { startServer, type TestServer } from '../../helpers/server.js';

export const STORAGES = ['sqlite', 'postgres'] as const;
export type Storage = (typeof STORAGES)[number];
export type BrokerOptions = Parameters<typeof broker>[0];

/** The value of GITHUB_CLIENT_SECRET in the servers' environment: no response, log line or audit event may hold it. */
export const GITHUB_SECRET = 'gh-secret-value-7c1d0e55b2a94f0e';

export function startBrokerServer(
  t: TestContext,
  options: { broker?: BrokerOptions; resources?: Parameters<typeof resources>[0]; env?: NodeJS.ProcessEnv; storage?: Storage; dir?: string } = {},
): Promise<TestServer> {
  return startServer(t, {
    plugins: [resources(options.resources), broker(options.broker), brokerProbe()],
    env: { GITHUB_CLIENT_SECRET: GITHUB_SECRET, ...options.env },
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
