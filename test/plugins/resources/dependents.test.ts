import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definePlugin } from 'authplane';
import { resources } from 'authplane/plugins';
import { startServer } from '../../helpers/server.js';
import { json, mcpResource } from './setup.js';

/** A user-style plugin whose records refer to resources, known to the resources plugin only through its service. */
const bookmarks = (kept: Set<string>) =>
  definePlugin({
    name: 'bookmarks',
    dependsOn: ['resources'],
    register(api) {
      api.use('resources').registerDependents(api.name, {
        list: async (resourceId) => (kept.has(resourceId) ? [{ kind: 'bookmark', id: `b-${resourceId}`, description: 'a bookmark' }] : []),
        remove: async (resourceId) => void kept.delete(resourceId),
      });
    },
  })();

test("a plugin's dependents registered through the resources service guard a resource's deletion, and cascade removes them", async (t) => {
  const kept = new Set<string>();
  const { admin } = await startServer(t, { plugins: [resources(), bookmarks(kept)] });
  const resource = await (await admin('/admin/resources', json(mcpResource()))).json();
  kept.add(resource.id);

  const refused = await admin('/admin/resources/files', { method: 'DELETE' });
  assert.equal(refused.status, 409);
  assert.deepEqual((await refused.json()).dependents, [{ kind: 'bookmark', id: `b-${resource.id}`, description: 'a bookmark' }]);
  assert.ok(kept.has(resource.id));
  assert.equal((await admin('/admin/resources/files?cascade=true', { method: 'DELETE' })).status, 204);
  assert.equal(kept.size, 0, 'cascade asked the plugin to remove its records');
});

test('registering dependents after register stops boot', async (t) => {
  const late = definePlugin({
    name: 'late-dependents',
    dependsOn: ['resources'],
    register(api) {
      return {
        async init(rt) {
          rt.use('resources').registerDependents('late-dependents', { list: async () => [], remove: async () => {} });
        },
      };
    },
  });
  await assert.rejects(startServer(t, { plugins: [resources(), late()] }), /registered after register/);
});
