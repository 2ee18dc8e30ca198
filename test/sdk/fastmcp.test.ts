/** examples/fastmcp (the @authplane/sdk/fastmcp adapter) as a user runs it, driven over raw HTTP, by the official MCP SDK
 * client and by mcp-remote (the stdio proxy, on Node 22 from test/interop/tools). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authplaneWithDcr, mcpRemoteScenario, officialClientScenario, rawHttpScenario, startExample } from './adapters.js';

test('the fastmcp example over HTTP: metadata, 401 challenge, invalid token, 403 step-up, DPoP', async (t) => {
  const fx = await authplaneWithDcr(t);
  await rawHttpScenario(t, fx, await startExample(t, fx, 'fastmcp'));
});

test('the official MCP SDK client against the fastmcp example: DCR, login, consent, a tool call, and a step-up', async (t) => {
  const fx = await authplaneWithDcr(t);
  await officialClientScenario(t, fx, await startExample(t, fx, 'fastmcp'));
});

test('the fastmcp example also serves the metadata at the bare well-known path, where FastMCP clients look first', async (t) => {
  const fx = await authplaneWithDcr(t);
  const mcp = await startExample(t, fx, 'fastmcp');
  const [bare, derived] = await Promise.all([fetch(new URL('/.well-known/oauth-protected-resource', mcp.url)), fetch(mcp.prmUrl)]);
  assert.equal(bare.status, 200);
  assert.deepEqual(await bare.json(), await derived.json());
});

test('mcp-remote against the fastmcp example: DCR, login, consent, tool calls, and a step-up it follows by itself', async (t) => {
  const fx = await authplaneWithDcr(t);
  await mcpRemoteScenario(t, fx, await startExample(t, fx, 'fastmcp'));
});
