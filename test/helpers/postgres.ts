/**
 * PostgreSQL in this repository's tests: a fresh database per test comes from the kit (authplane/testing); without a
 * reachable server the test is skipped — except under CI=true, where PostgreSQL tests must run, so it fails instead.
 */
import type { TestContext } from 'node:test';
import { postgresProblem } from 'authplane/testing';

export { freshPostgresDatabase, PG_ADMIN_DSN } from 'authplane/testing';

export async function postgresAvailable(): Promise<boolean> {
  return (await postgresProblem()) === undefined;
}

/** Call at the start of a PostgreSQL test: skips locally without PostgreSQL, fails under CI. */
export async function requirePostgres(t: TestContext): Promise<boolean> {
  const problem = await postgresProblem();
  if (problem === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`PostgreSQL tests must run under CI=true, but: ${problem}`);
  t.skip('PostgreSQL is not reachable');
  return false;
}
