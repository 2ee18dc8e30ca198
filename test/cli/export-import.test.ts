/**
 * `authserver export` / `import` through the real CLI: a deployment moved from SQLite to PostgreSQL keeps its clients,
 * users, grants and keys (a refresh token issued before the move refreshes after it), and back again.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import knex from 'knex';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { clients, oauth, resources, users } from 'authplane/plugins';
import { errorLines, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { freshPostgresDatabase, requirePostgres } from '../helpers/postgres.js';
import { runCli, startServer } from '../helpers/server.js';
import { getCode, redeem, refresh } from '../plugins/oauth/flow.js';
import { oauthServer, type OAuthFixture } from '../plugins/oauth/setup.js';

const QUIET = { AUTHPLANE_ADMIN_API_KEY: 'kJ8v2-Qx9LmZ4rT7wYb3NcF6' };
const IMPORTS = ["import { clients, oauth, resources, users } from 'authplane/plugins';"];
const PLUGINS = ['clients()', 'resources()', 'users()', 'oauth()'];

interface EndLine {
  rows: Record<string, number>;
  keys: number;
}

function endOf(file: string): EndLine {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  return (JSON.parse(lines.at(-1)!) as { end: EndLine }).end;
}

function sqliteConfig(dir: string, name: string, dbPath: string, keyPath: string): string {
  return writeConfigFile(dir, { name, settings: { storage: { sqlite: { path: dbPath } }, signing: { keyPath } }, imports: IMPORTS, plugins: PLUGINS });
}

function postgresConfig(dir: string, name: string, keyPath: string): string {
  return writeConfigFile(dir, { name, settings: { storage: { driver: 'postgres' }, signing: { keyPath } }, imports: IMPORTS, plugins: PLUGINS });
}

async function cli(args: string[], dir: string, env: NodeJS.ProcessEnv = {}) {
  const result = await runCli(args, { cwd: dir, env: { ...QUIET, ...env } });
  return result;
}

/** Server A on SQLite with a user who went through login and consent: a refresh token and an access token. */
async function sourceWithTokens(t: TestContext): Promise<{ a: OAuthFixture; tokens: { access_token: string; refresh_token: string } }> {
  const a = await oauthServer(t);
  const { code, verifier } = await getCode(a, { scope: 'tools/read tools/write' });
  const response = await redeem(a, code, verifier);
  assert.equal(response.status, 200);
  const tokens = await response.json();
  assert.ok(tokens.refresh_token);
  await a.server.runtimeApi().audit.flush();
  return { a, tokens };
}

test('export from SQLite + import into PostgreSQL: the refresh token issued before the move still refreshes, signed by the same key', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { a, tokens } = await sourceWithTokens(t);
  const work = repoTempDir(t, 'transfer-');
  const file = join(work, 'authplane.ndjson');

  const exported = await cli(['export', '--out', file, '--config', sqliteConfig(work, 'a.config.ts', join(a.dir, 'authserver.db'), join(a.dir, 'keys'))], work);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /^exported \d+ row\(s\) in \d+ table\(s\) \(.*refresh_tokens 1.*\), 1 signing key\(s\) to .*authplane\.ndjson\n$/);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the export holds private keys: owner-only');
  const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!);
  assert.equal(header.format, 'authplane-export');
  assert.equal(header.driver, 'sqlite');
  assert.ok(header.migrations.includes('oauth/0001_oauth_core'));
  const tables = header.tables.map((t: { name: string }) => t.name);
  for (const table of ['clients', 'users', 'resources', 'consents', 'refresh_families', 'refresh_tokens', 'audit_events', 'token_issuances']) {
    assert.ok(tables.includes(table), `the export has ${table} (found from the database, not a list)`);
  }
  assert.ok(!tables.includes('knex_migrations'));
  const again = await cli(['export', '--out', file, '--config', join(work, 'a.config.ts')], work);
  assert.equal(again.code, 1);
  assert.match(errorLines(again.stderr)[0]!, /cannot create .*authplane\.ndjson: it exists/);

  const dsn = await freshPostgresDatabase(t);
  const pgKeys = join(work, 'pg-keys');
  const pgConfig = postgresConfig(work, 'b.config.ts', pgKeys);
  const pgEnv = { AUTHPLANE_STORAGE_POSTGRES_DSN: dsn };
  const imported = await cli(['import', file, '--config', pgConfig], work, pgEnv);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /^imported \d+ row\(s\).*, 1 signing key\(s\)\n$/);
  const notEmpty = await cli(['import', file, '--config', pgConfig], work, pgEnv);
  assert.equal(notEmpty.code, 1, 'a second import into the same database is refused');
  assert.match(errorLines(notEmpty.stderr)[0]!, /^error: the target database is not empty: .*clients \(1\).*pass --force/);

  const b = await startServer(t, {
    exactIssuer: true,
    storage: 'postgres',
    postgresDsn: dsn,
    config: { signing: { keyPath: pgKeys } },
    env: { AUTHPLANE_OAUTH_REFRESH_REUSE_GRACE: '0' },
    plugins: [clients(), resources(), users(), oauth()],
  });
  const bFixture = { ...b, clientId: a.clientId } as OAuthFixture;
  const refreshed = await refresh(bFixture, tokens.refresh_token);
  const body = await refreshed.json();
  assert.equal(refreshed.status, 200, JSON.stringify(body));
  assert.ok(body.refresh_token && body.refresh_token !== tokens.refresh_token, 'rotated on PostgreSQL');
  assert.equal(body.scope, 'tools/read tools/write', 'the grant came along');
  assert.equal((await refresh(bFixture, body.refresh_token)).status, 200, 'and rotates on');
  const reuse = await refresh(bFixture, tokens.refresh_token, {});
  assert.equal(reuse.status, 400, 'the family history came along too: the spent token is reuse');

  const jwks = createLocalJWKSet(await (await fetch(`${b.url}/.well-known/jwks.json`)).json());
  await jwtVerify(tokens.access_token, jwks); // an access token from before the move verifies against B's JWKS
  assert.equal(decodeProtectedHeader(body.access_token).kid, decodeProtectedHeader(tokens.access_token).kid, 'B signs with the imported key');
  const audit = await (await b.admin(`/admin/audit?client_id=${a.clientId}&action=consent_granted`)).json();
  assert.equal(audit.events.length, 1, 'the consent audited on SQLite is in the trail on PostgreSQL');
});

test('PostgreSQL back to SQLite keeps every table count; a cut-off file is refused and rolled back; --force replaces', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { a } = await sourceWithTokens(t);
  const work = repoTempDir(t, 'transfer-back-');
  const first = join(work, 'from-sqlite.ndjson');
  assert.equal((await cli(['export', '--out', first, '--config', sqliteConfig(work, 'a.config.ts', join(a.dir, 'authserver.db'), join(a.dir, 'keys'))], work)).code, 0);

  const dsn = await freshPostgresDatabase(t);
  const pgEnv = { AUTHPLANE_STORAGE_POSTGRES_DSN: dsn };
  const pgConfig = postgresConfig(work, 'b.config.ts', join(work, 'pg-keys'));
  const toPg = await cli(['import', first, '--config', pgConfig], work, pgEnv);
  assert.equal(toPg.code, 0, toPg.stderr);

  // PostgreSQL → stdout → a new SQLite database.
  const fromPg = await cli(['export', '--config', pgConfig], work, pgEnv);
  assert.equal(fromPg.code, 0, fromPg.stderr);
  assert.match(fromPg.stderr, /exported \d+ row/);
  const second = join(work, 'from-pg.ndjson');
  writeFileSync(second, fromPg.stdout);
  assert.equal(JSON.parse(fromPg.stdout.split('\n')[0]!).driver, 'postgres');
  assert.deepEqual(endOf(second), endOf(first), 'the same rows and keys came out of PostgreSQL');

  const cDb = join(work, 'c.db');
  const cConfig = sqliteConfig(work, 'c.config.ts', cDb, join(work, 'c-keys'));
  const toSqlite = await cli(['import', second, '--config', cConfig], work);
  assert.equal(toSqlite.code, 0, toSqlite.stderr);
  const third = join(work, 'from-c.ndjson');
  assert.equal((await cli(['export', '--out', third, '--config', cConfig], work)).code, 0);
  assert.deepEqual(endOf(third), endOf(first), 'and the same again in the new SQLite database');
  const rowsOf = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.startsWith('{"t":"clients"')).map((l) => JSON.parse(l).r);
  assert.deepEqual(rowsOf(third), rowsOf(first), 'client rows identical after SQLite → PostgreSQL → SQLite (booleans, big integers, text)');

  // A file cut off before its end line: nothing lands.
  const lines = readFileSync(first, 'utf8').trimEnd().split('\n');
  const cut = join(work, 'cut.ndjson');
  writeFileSync(cut, `${lines.slice(0, -3).join('\n')}\n`);
  const dDb = join(work, 'd.db');
  const dConfig = sqliteConfig(work, 'd.config.ts', dDb, join(work, 'd-keys'));
  const refused = await cli(['import', cut, '--config', dConfig], work);
  assert.equal(refused.code, 1);
  assert.deepEqual(errorLines(refused.stderr), ['error: the export ends before its end line (cut off?): nothing was imported']);
  const d = knex({ client: 'better-sqlite3', connection: { filename: dDb }, useNullAsDefault: true });
  try {
    assert.deepEqual(await d('clients').count({ n: '*' }), [{ n: 0 }], 'rolled back');
  } finally {
    await d.destroy();
  }
  const notExport = join(work, 'not.ndjson');
  writeFileSync(notExport, '{"hello":1}\n');
  const wrong = await cli(['import', notExport, '--config', dConfig], work);
  assert.deepEqual(errorLines(wrong.stderr), ["error: line 1 is not an AuthPlane export header (format 'authplane-export')"]);

  const forced = await cli(['import', first, '--force', '--config', pgConfig], work, pgEnv);
  assert.equal(forced.code, 0, forced.stderr);
  const afterForce = await cli(['export', '--config', pgConfig], work, pgEnv);
  const forcedFile = join(work, 'forced.ndjson');
  writeFileSync(forcedFile, afterForce.stdout);
  assert.deepEqual(endOf(forcedFile), endOf(first), '--force replaced the rows instead of adding to them');
});
