import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { createOAuthClient } from '@authplane/sdk';
import { CHILD_WAIT_MS, outputTail, REPO_ROOT } from '../helpers/server.js';
import { authplane, confidentialClient, notesResource } from './fixture.js';

test('the example MCP server runs as its README says: 401 and metadata, whoami, and a 403 step-up for add_note', async (t) => {
  const fx = await authplane(t);
  const { port, resource } = await notesResource(fx);

  const child = spawn(process.execPath, ['--conditions=authplane-source', '--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'examples/mcp-server/server.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, AUTHPLANE_ISSUER: fx.url, PORT: String(port), MCP_RESOURCE: resource },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`waited ${CHILD_WAIT_MS / 1000} s for examples/mcp-server to log "listening"; it did not.\n${outputTail('its stderr', stderr)}`)),
      CHILD_WAIT_MS,
    );
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`waited for examples/mcp-server to log "listening", but it exited with code ${code}.\n${outputTail('its stderr', stderr)}`)));
  });

  const prm = await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`)).json();
  assert.deepEqual(prm.authorization_servers, [fx.url]);
  assert.equal(prm.resource, resource);

  const post = (token: string | undefined, method: string, params: Record<string, unknown>) =>
    fetch(resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
  const anonymous = await post(undefined, 'tools/list', {});
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate')!, /scope="notes\/read"/);

  const machine = await confidentialClient(fx, 'notes/read notes/write');
  const client = createOAuthClient({ issuer: fx.url, ...machine });
  const reader = (await client.clientCredentials({ scope: 'notes/read', resource })).access_token;
  const whoami = await post(reader, 'tools/call', { name: 'whoami', arguments: {} });
  assert.equal(whoami.status, 200);
  assert.deepEqual((await whoami.json()).result.content, [{ type: 'text', text: machine.clientId }]);

  const denied = await post(reader, 'tools/call', { name: 'add_note', arguments: { text: 'hello' } });
  assert.equal(denied.status, 403);
  assert.match(denied.headers.get('www-authenticate')!, /scope="notes\/read notes\/write", error="insufficient_scope"/);

  const writer = (await client.clientCredentials({ scope: 'notes/read notes/write', resource })).access_token;
  assert.equal((await post(writer, 'tools/call', { name: 'add_note', arguments: { text: 'hello' } })).status, 200);
  const listed = await (await post(writer, 'tools/call', { name: 'list_notes', arguments: {} })).json();
  assert.deepEqual(listed.result.content, [{ type: 'text', text: `${machine.clientId}: hello` }]);
  assert.match(stderr, /"msg":"verified"/, 'the SDK logs one verified line per request');
});
