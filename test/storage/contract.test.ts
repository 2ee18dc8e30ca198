/**
 * The storage contract: the same assertions against SQLite and PostgreSQL, through a real server and the public
 * plugin API only (a tiny plugin owning one table, the audit-db sink, the fixture's purge target).
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import { definePlugin, requestInfo, runPurgeTarget, uuidv7, type PurgeTarget } from 'authplane';
import { helloPlugin } from '../fixtures/plugins/hello-plugin.js';
import { PG_ADMIN_DSN, requirePostgres } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';

const contractPlugin = definePlugin({
  name: 'storage-contract',
  register(api) {
    api.migrations([
      {
        name: 'storage-contract/0001_contract_items',
        async up(knex) {
          await knex.schema.createTable('contract_items', (t) => {
            t.string('id', 36).primary();
            t.string('name', 100).notNullable().unique();
            t.text('data');
            t.bigInteger('created_at').notNullable();
          });
        },
      },
    ]);
    api.route('public', 'POST', '/contract/audit', (ctx) => {
      const { ip, requestId } = requestInfo(ctx, api.config.server.issuer);
      api.runtime().audit.emit({
        action: 'contract.checked',
        actor_id: 'operator-1',
        user_id: 'user-1',
        client_id: 'client-1',
        ip,
        request_id: requestId,
        detail: { attempt: 1, nested: { ok: true } },
      });
      ctx.status = 204;
    });
  },
});

const DAY_MS = 86_400_000;

for (const driver of ['sqlite', 'postgres'] as const) {
  describe(`storage contract on ${driver}`, () => {
    async function boot(t: TestContext): Promise<TestServer | undefined> {
      if (driver === 'postgres' && !(await requirePostgres(t))) return undefined;
      return startServer(t, { storage: driver, plugins: [contractPlugin(), helloPlugin()] });
    }

    test('the server runs on the configured driver', async (t) => {
      const s = await boot(t);
      if (!s) return;
      assert.equal(s.server.runtimeApi().dialect.name, driver);
      const status = await (await s.admin('/admin/system/status')).json();
      assert.deepEqual(status.subsystems.database, { status: 'ok', driver });
    });

    test('every migration is recorded once in knex_migrations and a second migrate applies nothing', async (t) => {
      const s = await boot(t);
      if (!s) return;
      const names: string[] = (await s.server.db('knex_migrations').select('name').orderBy('id')).map((r) => r.name);
      for (const name of ['audit-db/0001_audit_events', 'storage-contract/0001_contract_items', 'hello-plugin/0001_hello_rows']) {
        assert.equal(names.filter((n) => n === name).length, 1, `${name} recorded once`);
      }
      assert.ok(
        names.indexOf('audit-db/0001_audit_events') < names.indexOf('hello-plugin/0001_hello_rows'),
        'migrations run in plugin order',
      );
      assert.deepEqual(await s.server.migrate(), [], 'a second migrate applies nothing');
      assert.deepEqual(await s.server.db('knex_migrations').count({ n: '*' }), [{ n: names.length }]);
    });

    test('audit events emitted on the bus are written as audit_events rows by the audit-db sink', async (t) => {
      const s = await boot(t);
      if (!s) return;
      const response = await fetch(`${s.url}/contract/audit`, { method: 'POST', headers: { 'x-request-id': 'contract-req-1' } });
      assert.equal(response.status, 204);
      await s.server.runtimeApi().audit.flush();
      const rows = await s.server.db('audit_events').where({ action: 'contract.checked' });
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.match(row.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUIDv7 id');
      assert.equal(row.actor_id, 'operator-1');
      assert.equal(row.user_id, 'user-1');
      assert.equal(row.client_id, 'client-1');
      assert.equal(row.ip, '127.0.0.1');
      assert.equal(row.request_id, 'contract-req-1');
      assert.deepEqual(s.server.runtimeApi().dialect.parseJson(row.detail), { attempt: 1, nested: { ok: true } });
      assert.equal(typeof row.time, 'number', 'time is integer milliseconds');
      assert.ok(Math.abs(row.time - Date.now()) < 60_000);
    });

    test('JSON text and integer-millisecond timestamps read back as the same JavaScript values', async (t) => {
      const s = await boot(t);
      if (!s) return;
      const { dialect } = s.server.runtimeApi();
      const createdAt = Date.now();
      const id = uuidv7();
      await s.server.db('contract_items').insert({ id, name: 'roundtrip', data: dialect.json({ list: [1, 'two'], n: null }), created_at: createdAt });
      const row = await s.server.db('contract_items').where({ id }).first();
      assert.deepEqual(dialect.parseJson(row.data), { list: [1, 'two'], n: null });
      assert.equal(row.created_at, createdAt, 'a bigInteger column reads back as a number, not a string');
      assert.deepEqual(await s.server.db('contract_items').count({ n: '*' }), [{ n: 1 }], 'a count reads back as a number');
    });

    test('a duplicate key is recognised by dialect.isUniqueViolation and other errors are not', async (t) => {
      const s = await boot(t);
      if (!s) return;
      const { dialect } = s.server.runtimeApi();
      const items = s.server.db('contract_items');
      await s.server.db('contract_items').insert({ id: uuidv7(), name: 'unique-name', created_at: Date.now() });
      const duplicateName = await s.server
        .db('contract_items')
        .insert({ id: uuidv7(), name: 'unique-name', created_at: Date.now() })
        .then(() => undefined, (err: unknown) => err);
      assert.ok(duplicateName, 'the second insert failed');
      assert.equal(dialect.isUniqueViolation(duplicateName), true);

      const [existing] = await items.select('id');
      const duplicateId = await s.server
        .db('contract_items')
        .insert({ id: existing.id, name: 'other-name', created_at: Date.now() })
        .then(() => undefined, (err: unknown) => err);
      assert.equal(dialect.isUniqueViolation(duplicateId), true, 'a primary key collision is a unique violation too');

      const notNull = await s.server
        .db('contract_items')
        .insert({ id: uuidv7(), name: null, created_at: Date.now() })
        .then(() => undefined, (err: unknown) => err);
      assert.ok(notNull, 'a NULL name is refused');
      assert.equal(dialect.isUniqueViolation(notNull), false);
      assert.equal(dialect.isUniqueViolation(new Error('something else')), false);
    });

    test('purge targets delete the expired rows and keep the rest', async (t) => {
      const s = await boot(t);
      if (!s) return;
      const now = new Date();
      const signal = new AbortController().signal;
      assert.equal((await s.admin('/admin/hello/rows', { method: 'POST' })).status, 201);
      const hello = s.server.registries.purgeTargets.get('hello_rows')!;
      const purge = async (target: PurgeTarget) => (await runPurgeTarget(target, { db: s.server.db, now, signal })).deleted;
      assert.equal(await purge(hello), 2);
      assert.equal(await purge(hello), 0, 'a second run finds nothing');
      assert.deepEqual(await s.server.db('hello_rows').count({ left: '*' }), [{ left: 1 }], 'the unexpired row is kept');

      const event = (id: string, ageDays: number) => ({ id, time: now.getTime() - ageDays * DAY_MS, action: 'contract.old' });
      await s.server.db('audit_events').insert([event(uuidv7(), 91), event(uuidv7(), 89), event(uuidv7(), 1)]);
      const audit = s.server.registries.purgeTargets.get('audit_events')!;
      assert.equal(await purge(audit), 1, 'only events older than retentionDays (90)');
      assert.equal((await s.server.db('audit_events').where({ action: 'contract.old' })).length, 2);
    });

    test('/health and /ready answer 503 degraded when the database is gone, /livez stays ok', async (t) => {
      const s = await boot(t);
      if (!s) return;
      assert.equal((await fetch(`${s.url}/health`)).status, 200);
      if (driver === 'postgres') {
        // Drop the server's database under it, terminating its connections.
        const name = new URL(s.server.config.storage.postgres.dsn!).pathname.slice(1);
        const admin = new pg.Client({ connectionString: PG_ADMIN_DSN });
        await admin.connect();
        await admin.query(`drop database ${name} with (force)`);
        await admin.end();
      } else {
        await s.server.db.destroy();
      }
      for (const path of ['/health', '/ready']) {
        const response: Response = await fetch(`${s.url}${path}`);
        assert.equal(response.status, 503, path);
        assert.equal(response.headers.get('cache-control'), 'no-store');
        const body = await response.json();
        assert.deepEqual({ ...body, time: undefined }, { status: 'degraded', time: undefined, db: 'error' });
        assert.match(body.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      }
      const live = await fetch(`${s.url}/livez`);
      assert.equal(live.status, 200, 'liveness does not depend on the database');
      assert.equal((await live.json()).status, 'ok');
    });
  });
}
