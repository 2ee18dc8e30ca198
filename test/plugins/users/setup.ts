/** Shared bits of the users tests: a server with the plugin and its probe. */
import type { TestContext } from 'node:test';
import { users } from 'authplane/plugins';
import { usersProbe } from '../../fixtures/plugins/users-probe.js';
import { startServer, type TestServer } from '../../helpers/server.js';

export function startUserServer(
  t: TestContext,
  options: { storage?: 'sqlite' | 'postgres'; dir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<TestServer> {
  return startServer(t, { plugins: [users(), usersProbe()], ...options });
}

export const alice = (overrides: Record<string, unknown> = {}) => ({
  email: 'Alice@Example.com',
  name: 'Alice',
  password: 'correct horse battery',
  role: 'admin',
  ...overrides,
});

export const json = (body: unknown, method = 'POST'): RequestInit => ({ method, body: JSON.stringify(body) });
