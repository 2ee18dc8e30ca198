import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { json, runCrudScenario, WEB_CLIENT } from './crud-scenario.js';

test('clients are created, read, listed, updated and deleted over the admin API on PostgreSQL', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { admin, server } = await runCrudScenario(t, 'postgres');
  assert.equal(server.config.storage.driver, 'postgres');
  const again = await json(await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) }));
  const shown = await json(await admin(`/admin/clients/${again.client_id}`));
  assert.equal(typeof shown.created_at, 'string', 'bigint timestamps come back as dates, not strings of digits');
  assert.equal(shown.created_at, again.created_at);
  assert.equal(shown.agent, false);
  assert.deepEqual(shown.grant_types, WEB_CLIENT.grant_types);
});
