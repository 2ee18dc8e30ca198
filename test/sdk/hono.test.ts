/** examples/hono (the @authplane/sdk/hono adapter) as a user runs it, driven over raw HTTP, by the official MCP SDK
 * client and by mcp-remote (the stdio proxy, on Node 22 from test/interop/tools). */
import { test } from 'node:test';
import { authplaneWithDcr, mcpRemoteScenario, officialClientScenario, rawHttpScenario, sdkV2StepUpScenario, startExample } from './adapters.js';

test('the hono example over HTTP: metadata, 401 challenge, invalid token, 403 step-up, DPoP', async (t) => {
  const fx = await authplaneWithDcr(t);
  await rawHttpScenario(t, fx, await startExample(t, fx, 'hono'));
});

test('the official MCP SDK client against the hono example: DCR, login, consent, a tool call, and a step-up', async (t) => {
  const fx = await authplaneWithDcr(t);
  await officialClientScenario(t, fx, await startExample(t, fx, 'hono'));
});

test('mcp-remote against the hono example: DCR, login, consent, tool calls, and a step-up it follows by itself', async (t) => {
  const fx = await authplaneWithDcr(t);
  await mcpRemoteScenario(t, fx, await startExample(t, fx, 'hono'));
});

test('the MCP SDK v2 client against the hono example steps up even while it holds a refresh token', async (t) => {
  const fx = await authplaneWithDcr(t);
  await sdkV2StepUpScenario(t, fx, await startExample(t, fx, 'hono'));
});
