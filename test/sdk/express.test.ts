/** examples/express (the @authplane/sdk/express adapter) as a user runs it, driven over raw HTTP, by the official MCP SDK
 * client and by mcp-remote (the stdio proxy, on Node 22 from test/interop/tools). */
import { test } from 'node:test';
import { authplaneWithDcr, mcpRemoteScenario, officialClientRefreshQuirk, officialClientScenario, rawHttpScenario, startExample } from './adapters.js';

test('the express example over HTTP: metadata, 401 challenge, invalid token, 403 step-up, DPoP', async (t) => {
  const fx = await authplaneWithDcr(t);
  await rawHttpScenario(t, fx, await startExample(t, fx, 'express'));
});

test('the official MCP SDK client against the express example: DCR, login, consent, a tool call, and a step-up', async (t) => {
  const fx = await authplaneWithDcr(t);
  await officialClientScenario(t, fx, await startExample(t, fx, 'express'));
});

test('mcp-remote against the express example: DCR, login, consent, tool calls, and a step-up it follows by itself', async (t) => {
  const fx = await authplaneWithDcr(t);
  await mcpRemoteScenario(t, fx, await startExample(t, fx, 'express'));
});

test('quirk: the official MCP SDK client holding a refresh token answers the 403 step-up by refreshing and gives up', async (t) => {
  const fx = await authplaneWithDcr(t);
  await officialClientRefreshQuirk(t, fx, await startExample(t, fx, 'express'));
});
