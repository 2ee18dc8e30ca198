/** examples/express (the @authplane/sdk/express adapter) as a user runs it, driven over raw HTTP and by the official MCP SDK client. */
import { test } from 'node:test';
import { authplaneWithDcr, officialClientScenario, rawHttpScenario, startExample } from './adapters.js';

test('the express example over HTTP: metadata, 401 challenge, invalid token, 403 step-up, DPoP', async (t) => {
  const fx = await authplaneWithDcr(t);
  await rawHttpScenario(t, fx, await startExample(t, fx, 'express'));
});

test('the official MCP SDK client against the express example: DCR, login, consent, a tool call, and a step-up', async (t) => {
  const fx = await authplaneWithDcr(t);
  await officialClientScenario(t, fx, await startExample(t, fx, 'express'));
});
