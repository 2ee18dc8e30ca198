import { test } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { threeHopDelegation } from './chain-scenario.js';

test('on PostgreSQL a three-hop delegation chain is issued, its consent checked through the recorded parent_jti', async (t) => {
  if (!(await requirePostgres(t))) return;
  await threeHopDelegation(t, 'postgres');
});
