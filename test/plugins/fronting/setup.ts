/** Shared bits of the fronting tests: a server with resources, fronting and the service probe, and three resources. */
import type { TestContext } from 'node:test';
import { fronting, resources } from 'authplane/plugins';
import { frontingProbe } from '../../fixtures/plugins/fronting-probe.js';
import { startServer, type TestServer } from '../../helpers/server.js';

export const STORAGES = ['sqlite', 'postgres'] as const;
export type Storage = (typeof STORAGES)[number];

export function startFrontingServer(t: TestContext, storage: Storage = 'sqlite'): Promise<TestServer> {
  return startServer(t, { plugins: [resources(), fronting(), frontingProbe()], storage });
}

export const json = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body) });

/**
 * `gateway` (fronted by client `gw-client`), `files` and `mail`, each with read/write scopes; returns their ids by
 * slug.
 */
export async function createResources(admin: TestServer['admin']): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const [slug, runtime] of [['gateway', ['gw-client']], ['files', []], ['mail', []]] as const) {
    const response = await admin(
      '/admin/resources',
      json({
        slug,
        display_name: slug,
        uri: `https://${slug}.example.com/mcp`,
        scopes: [{ name: `${slug}:read` }, { name: `${slug}:write` }],
        policy: { runtime: { client_ids: runtime } },
      }),
    );
    if (response.status !== 201) throw new Error(`creating ${slug}: ${response.status} ${await response.text()}`);
    ids[slug] = (await response.json()).id;
  }
  return ids;
}

export const gatewayToFiles = (overrides: Record<string, unknown> = {}) => ({
  source: 'gateway',
  target: 'files',
  scope_map: { 'gateway:read': ['files:read'], 'gateway:write': ['files:read', 'files:write'] },
  ...overrides,
});
