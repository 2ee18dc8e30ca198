/** Shared bits of the resources tests: a server with the plugin and its probe, and a valid create body. */
import type { TestContext } from 'node:test';
import { resources } from 'authplane/plugins';
import { resourcesProbe } from '../../fixtures/plugins/resources-probe.js';
import { startServer, type TestServer } from '../../helpers/server.js';

export type ResourceOptions = Parameters<typeof resources>[0];

export function startResourceServer(
  t: TestContext,
  options: {
    resources?: ResourceOptions;
    env?: NodeJS.ProcessEnv;
    storage?: 'sqlite' | 'postgres';
    dir?: string;
    postgresDsn?: string;
    now?: () => number;
  } = {},
): Promise<TestServer> {
  return startServer(t, {
    plugins: [resources(options.resources), resourcesProbe()],
    env: options.env,
    storage: options.storage,
    dir: options.dir,
    postgresDsn: options.postgresDsn,
    now: options.now,
  });
}

export const mcpResource = (overrides: Record<string, unknown> = {}) => ({
  slug: 'files',
  display_name: 'Files MCP',
  uri: 'https://mcp.example.com/mcp',
  backend_kind: 'mint',
  scopes: [
    { name: 'files:read', description: 'Read your files' },
    { name: 'files:write', description: 'Change your files' },
  ],
  ...overrides,
});

export const json = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });
export const patch = (body: unknown): RequestInit => ({ method: 'PATCH', body: JSON.stringify(body) });
