import { test } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { machineTokenScenario } from './scenario.js';

test('on PostgreSQL a confidential client gets a machine token recorded by jti before the response', async (t) => {
  if (!(await requirePostgres(t))) return;
  await machineTokenScenario(t, 'postgres');
});
