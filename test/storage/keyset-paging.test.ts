/**
 * Keyset paging of the admin lists (kernel/storage/keyset-page.ts) on real SQLite files and real PostgreSQL: every
 * row visited exactly once however many share a timestamp, cursors bound to their list and filters, the `limit`
 * bounds, and each page (and the issuances `resource` filter) planned as an index range scan, not a table scan.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import knexModule, { type Knex } from 'knex';
import { clients, issuances, oauth, resources, users } from 'authplane/plugins';
import { uuidv7 } from 'authplane';
import { tokenIssuances0001 } from '../../migrations/kernel/0001_token_issuances.js';
import { issuanceLineage0002 } from '../../migrations/kernel/0002_issuance_lineage.js';
import { issuanceResource0003 } from '../../migrations/kernel/0003_issuance_resource.js';
import { errorLines, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { freshPostgresDatabase, requirePostgres } from '../helpers/postgres.js';
import { runCli, startServer, tempDir, type TestServer } from '../helpers/server.js';

const knexFactory = ((knexModule as unknown as { default?: unknown }).default ?? knexModule) as typeof knexModule;

type Kind = 'sqlite' | 'postgres';
const T0 = Date.UTC(2026, 0, 1);
const RESOURCE = 'https://mcp.example.com/mcp';

async function server(t: TestContext, kind: Kind): Promise<TestServer | undefined> {
  if (kind === 'postgres' && !(await requirePostgres(t))) return undefined;
  return startServer(t, { storage: kind, plugins: [clients(), users(), issuances()] });
}

const db = (srv: TestServer): Knex => srv.server.runtimeApi().db;

/** Follows `next` from the first page to the last, returning every row and the number of pages. */
async function walk(srv: TestServer, path: string, key: string, limit: number): Promise<{ rows: Record<string, unknown>[]; pages: number }> {
  const rows: Record<string, unknown>[] = [];
  const separator = path.includes('?') ? '&' : '?';
  let url: string | null = `${path}${separator}limit=${limit}`;
  let pages = 0;
  while (url !== null) {
    const response = await srv.admin(url, { signal: AbortSignal.timeout(30_000) });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.ok(Array.isArray(body[key]) && body[key].length <= limit, `a page holds at most ${limit}`);
    assert.ok('next' in body, 'every page says whether another follows');
    rows.push(...body[key]);
    pages++;
    if (body.next !== null) {
      const link = response.headers.get('link') ?? '';
      assert.match(link, /; rel="next"$/);
      assert.ok(link.includes(`cursor=${encodeURIComponent(body.next)}`), link);
      url = `${path}${separator}limit=${limit}&cursor=${encodeURIComponent(body.next)}`;
    } else {
      assert.equal(response.headers.get('link'), null, 'no Link on the last page');
      url = null;
    }
    assert.ok(pages < 1000, 'the walk ends');
  }
  return { rows, pages };
}

/** `count` issuance rows over three instants (so most share their issued_at), half to RESOURCE, a few multi-audience. */
async function seedIssuances(knex: Knex, count: number): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => {
    const audience = i % 10 === 0 ? [RESOURCE, 'https://other.example.com'] : i % 2 === 0 ? [RESOURCE] : ['https://other.example.com'];
    return {
      jti: randomUUID(),
      subject: `user-${i % 3}`,
      client_id: `client-${i % 2}`,
      audience: JSON.stringify(audience),
      resource: audience.length === 1 ? audience[0] : null,
      scope: 'read',
      grant_type: 'client_credentials',
      issued_at: T0 + (i % 3) * 1000,
      expires_at: T0 + 3_600_000,
      revoked_at: null,
      parent_jti: null,
      cnf_jkt: null,
      grant_ref: null,
    };
  });
  await knex.batchInsert('token_issuances', rows, 100);
  return rows.map((r) => r.jti);
}

/** `count` audit events at two milliseconds within the last hour. */
async function seedAudit(knex: Knex, count: number, now: number): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: uuidv7(now - 60_000),
    time: now - 60_000 + (i % 2),
    action: i % 4 === 0 ? 'client_created' : 'user_login',
    actor_id: null,
    user_id: `u${i % 3}`,
    client_id: null,
    ip: null,
    trace_id: null,
    request_id: null,
    detail: null,
  }));
  await knex.batchInsert('audit_events', rows, 100);
  return rows.map((r) => r.id);
}

const ids = (rows: Record<string, unknown>[], field = 'id') => rows.map((r) => r[field] as string);

function assertEachOnce(seen: string[], expected: string[], what: string): void {
  assert.equal(new Set(seen).size, seen.length, `${what}: no row twice`);
  assert.deepEqual([...seen].sort(), [...expected].sort(), `${what}: every row`);
}

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`${kind}: audit and issuance pages visit every row exactly once though most share their timestamp, newest first`, async (t) => {
    const srv = await server(t, kind);
    if (!srv) return;
    const now = Date.now();
    const events = await seedAudit(db(srv), 230, now);
    const jtis = await seedIssuances(db(srv), 230);

    const audit = await walk(srv, `/admin/audit?since=${new Date(now - 3_600_000).toISOString()}`, 'events', 7);
    assertEachOnce(ids(audit.rows), events, 'audit');
    assert.equal(audit.pages, Math.ceil(230 / 7));
    const times = audit.rows.map((e) => Date.parse(e.time as string));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');

    const all = await walk(srv, '/admin/issuances', 'issuances', 9);
    assertEachOnce(ids(all.rows, 'jti'), jtis, 'issuances');
    const issued = all.rows.map((i) => Date.parse(i.issued_at as string));
    assert.deepEqual(issued, [...issued].sort((a, b) => b - a), 'newest first');

    // The default window (the last day, ending now) is fixed by the first page: later pages walk the same one.
    const defaulted = await walk(srv, '/admin/audit', 'events', 50);
    assertEachOnce(ids(defaulted.rows), events, 'audit, default window');
  });

  test(`${kind}: a filter pages only its rows, the resource filter included (several audiences too)`, async (t) => {
    const srv = await server(t, kind);
    if (!srv) return;
    const now = Date.now();
    await seedAudit(db(srv), 120, now);
    await seedIssuances(db(srv), 200);

    const logins = await walk(srv, '/admin/audit?action=user_login&user_id=u1', 'events', 4);
    const expected = (await db(srv)('audit_events').where({ action: 'user_login', user_id: 'u1' }).select('id')).map((r: { id: string }) => r.id);
    assert.ok(expected.length > 10);
    assertEachOnce(ids(logins.rows), expected, 'audit by action and user');

    const toResource = await walk(srv, `/admin/issuances?resource=${encodeURIComponent(RESOURCE)}`, 'issuances', 8);
    const matching = (await db(srv)('token_issuances').select('jti', 'audience')).filter((r: { audience: string }) =>
      (JSON.parse(r.audience) as string[]).includes(RESOURCE),
    );
    assert.ok(matching.length === 100, `${matching.length}`);
    assertEachOnce(ids(toResource.rows, 'jti'), matching.map((r: { jti: string }) => r.jti), 'issuances by resource');
    assert.ok(toResource.rows.some((r) => (r.audience as string[]).length === 2), 'multi-audience tokens are found too');

    const byClient = await walk(srv, '/admin/issuances?client=client-1&user=user-2', 'issuances', 6);
    assert.ok(byClient.rows.length > 0);
    assert.ok(byClient.rows.every((r) => r.client_id === 'client-1' && r.subject === 'user-2'));
    assert.equal(byClient.rows.length, (await db(srv)('token_issuances').where({ client_id: 'client-1', subject: 'user-2' })).length);
  });

  test(`${kind}: client and user pages visit every row once with ties on created_at`, async (t) => {
    const srv = await server(t, kind);
    if (!srv) return;
    const created: string[] = [];
    for (let i = 0; i < 12; i++) {
      const response: Response = await srv.admin('/admin/clients', {
        method: 'POST',
        body: JSON.stringify({ client_name: `c${i}`, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', scope: 'a' }),
      });
      assert.equal(response.status, 201, await response.clone().text());
      created.push((await response.json()).client_id);
    }
    await db(srv)('clients').update({ created_at: T0 });
    const listed = await walk(srv, '/admin/clients', 'clients', 5);
    assertEachOnce(ids(listed.rows, 'client_id'), created, 'clients');
    const suspended = await walk(srv, '/admin/clients?status=active&source=admin', 'clients', 4);
    assert.equal(suspended.rows.length, 12);

    const people = Array.from({ length: 140 }, (_, i) => ({
      id: uuidv7(),
      email: `u${i}@example.com`,
      name: `U${i}`,
      role: 'user',
      status: 'active',
      provider: 'local',
      password_hash: null,
      created_at: T0 + (i % 2),
      updated_at: T0,
      last_login_at: null,
    }));
    await db(srv).batchInsert('users', people, 100);
    const walked = await walk(srv, '/admin/users', 'users', 11);
    assertEachOnce(ids(walked.rows), people.map((p) => p.id), 'users');
    const createdAt = walked.rows.map((u) => Date.parse(u.created_at as string));
    assert.deepEqual(createdAt, [...createdAt].sort((a, b) => a - b), 'oldest first');
  });

  test(`${kind}: a tampered cursor, one from another list or other filters, and a bad limit are 400 problems naming the parameter`, async (t) => {
    const srv = await server(t, kind);
    if (!srv) return;
    await seedIssuances(db(srv), 30);
    const first = await (await srv.admin('/admin/issuances?client=client-0&limit=2')).json();
    assert.equal(typeof first.next, 'string');
    const other = await (await srv.admin('/admin/issuances?client=client-1&limit=2')).json();
    const decoded = JSON.parse(Buffer.from(first.next, 'base64url').toString('utf8'));
    const edited = Buffer.from(JSON.stringify({ ...decoded, k: [decoded.k[0] + 1000, decoded.k[1]] })).toString('base64url');

    const cases: [string, string][] = [
      [`/admin/issuances?client=client-0&cursor=${first.next}x`, 'cursor'],
      [`/admin/issuances?client=client-0&cursor=${edited}`, 'cursor'],
      ['/admin/issuances?client=client-0&cursor=not%20a%20cursor', 'cursor'],
      [`/admin/issuances?client=client-0&cursor=${Buffer.from('[1,2]').toString('base64url')}`, 'cursor'],
      [`/admin/issuances?client=client-0&cursor=${other.next}`, 'cursor'],
      [`/admin/issuances?cursor=${first.next}`, 'cursor'],
      [`/admin/audit?cursor=${first.next}`, 'cursor'],
      [`/admin/clients?cursor=${first.next}`, 'cursor'],
      [`/admin/users?cursor=${first.next}`, 'cursor'],
      [`/admin/issuances?client=client-0&cursor=${first.next}&cursor=${first.next}`, 'cursor'],
      ['/admin/clients?limit=0', 'limit'],
      ['/admin/users?limit=1001', 'limit'],
      ['/admin/issuances?limit=-1', 'limit'],
      ['/admin/audit?limit=1e3', 'limit'],
      ['/admin/users?limit=', 'limit'],
      ['/admin/users?colour=red', 'colour'],
    ];
    for (const [path, field] of cases) {
      const response = await srv.admin(path);
      assert.equal(response.status, 400, path);
      assert.equal(response.headers.get('content-type'), 'application/problem+json', path);
      const problem = await response.json();
      assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), [field], path);
    }
    const mismatch = await (await srv.admin(`/admin/issuances?client=client-1&cursor=${first.next}`)).json();
    assert.match(mismatch.errors[0].message, /other filters/);
    const foreign = await (await srv.admin(`/admin/clients?cursor=${first.next}`)).json();
    assert.match(foreign.errors[0].message, /another list/);
    assert.equal((await srv.admin('/admin/users?limit=1000')).status, 200, 'the bounds themselves are allowed');
    assert.equal((await srv.admin('/admin/users?limit=1')).status, 200);
  });

  test(`${kind}: each list's page and the issuances resource filter are index range scans, not table scans`, async (t) => {
    const srv = await server(t, kind);
    if (!srv) return;
    const knex = db(srv);
    await seedIssuances(knex, 60);
    await seedAudit(knex, 60, Date.now());
    const queries: { sql: string; bindings: unknown[] }[] = [];
    const record = (q: { sql: string; bindings?: unknown[] }) => {
      if (/^select/i.test(q.sql)) queries.push({ sql: q.sql, bindings: q.bindings ?? [] });
    };
    knex.on('query', record);
    const pages = [
      ['/admin/issuances?resource=' + encodeURIComponent(RESOURCE), 'token_issuances'],
      ['/admin/issuances?client=client-0', 'token_issuances'],
      ['/admin/issuances?user=user-1', 'token_issuances'],
      ['/admin/issuances', 'token_issuances'],
      ['/admin/audit?action=user_login', 'audit_events'],
      ['/admin/audit?user_id=u1', 'audit_events'],
      ['/admin/audit', 'audit_events'],
      ['/admin/clients?status=active', 'clients'],
      ['/admin/clients', 'clients'],
      ['/admin/users', 'users'],
    ] as const;
    const plans: { path: string; table: string; sql: string; bindings: unknown[] }[] = [];
    for (const [path, table] of pages) {
      // The second page: its query has the keyset condition as well as the filter.
      const first: { next: string | null } = await (await srv.admin(`${path}${path.includes('?') ? '&' : '?'}limit=1`)).json();
      queries.length = 0;
      const cursor: string = first.next ? `&cursor=${encodeURIComponent(first.next)}` : '';
      assert.equal((await srv.admin(`${path}${path.includes('?') ? '&' : '?'}limit=1${cursor}`)).status, 200, path);
      const ran = queries.filter((q) => q.sql.includes(`"${table}"`) || q.sql.includes(` ${table} `) || q.sql.includes(`\`${table}\``));
      assert.ok(ran.length > 0, `${path}: a query on ${table}`);
      for (const q of ran) plans.push({ path, table, ...q });
    }
    knex.off('query', record);

    for (const { path, table, sql, bindings } of plans) {
      if (kind === 'sqlite') {
        const rows = (await knex.raw(`explain query plan ${sql}`, bindings as Knex.RawBinding[])) as { detail: string }[];
        const details = rows.map((r) => r.detail);
        const onTable = details.filter((d) => d.includes(` ${table}`));
        assert.ok(onTable.length > 0, `${path}: ${details.join(' | ')}`);
        for (const d of onTable) assert.match(d, /USING (COVERING )?INDEX|USING PRIMARY KEY/, `${path}: ${details.join(' | ')}`);
        assert.ok(!details.some((d) => d.includes('TEMP B-TREE')), `${path}: the index gives the order: ${details.join(' | ')}`);
      } else {
        // Tiny tables: the planner would rather read them whole, so it is told not to, and must still find an index.
        const positional = sql.replace(/\$\d+/g, '?');
        const plan = await knex.transaction(async (trx) => {
          await trx.raw('set local enable_seqscan = off');
          const result = await trx.raw(`explain ${positional}`, bindings as Knex.RawBinding[]);
          return (result.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
        });
        assert.ok(!/Seq Scan/.test(plan), `${path}:\n${plan}`);
        assert.match(plan, /Index (Only )?Scan/, `${path}:\n${plan}`);
        assert.ok(!/\bSort\b/.test(plan), `${path}: the index gives the order:\n${plan}`);
      }
    }
  });
}

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`${kind}: the issuance resource migration backfills the sole audience of existing rows and leaves several audiences NULL`, async (t) => {
    let config: Knex.Config;
    if (kind === 'sqlite') {
      config = { client: 'better-sqlite3', connection: { filename: join(tempDir(t, 'authplane-backfill-'), 'db.sqlite') }, useNullAsDefault: true };
    } else {
      if (!(await requirePostgres(t))) return;
      config = { client: 'pg', connection: await freshPostgresDatabase(t) };
    }
    const knex = knexFactory(config);
    t.after(() => knex.destroy());
    await tokenIssuances0001.up(knex);
    await issuanceLineage0002.up(knex);
    const row = (jti: string, audience: string[]) => ({
      jti,
      subject: 's',
      client_id: 'c',
      audience: JSON.stringify(audience),
      scope: '',
      grant_type: 'client_credentials',
      issued_at: T0,
      expires_at: T0 + 1000,
    });
    const long = `https://example.com/${'x'.repeat(2100)}`;
    await knex('token_issuances').insert([
      row('one', [RESOURCE]),
      row('two', [RESOURCE, 'https://other.example.com']),
      row('none', []),
      row('long', [long]),
      row('quoted', ['https://example.com/a"b']),
    ]);
    await issuanceResource0003.up(knex);
    const resources = Object.fromEntries((await knex('token_issuances').select('jti', 'resource')).map((r: { jti: string; resource: string | null }) => [r.jti, r.resource]));
    assert.deepEqual(resources, { one: RESOURCE, two: null, none: null, long: null, quoted: 'https://example.com/a"b' });
  });
}

test('sqlite: authserver admin audit list walks every page, or stops after --pages and resumes from the cursor it printed', async (t) => {
  const dir = repoTempDir(t, 'paging-cli-');
  writeConfigFile(dir, { settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') } } });
  const srv = await startServer(t, { dir });
  const events = await seedAudit(db(srv), 25, Date.now());
  await srv.stop();
  const env = { AUTHPLANE_ADMIN_ENABLED: 'false' };
  const cli = (...args: string[]) => runCli(['admin', 'audit', 'list', ...args], { cwd: dir, env });

  const all = await cli('--limit', '4', '--json');
  assert.equal(all.code, 0, all.stderr);
  const document = JSON.parse(all.stdout);
  assert.equal(document.next, null);
  assertEachOnce(ids(document.events), events, 'the CLI walk');

  const table = await cli('--limit', '10');
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^TIME\s+ACTION\s+ACTOR_ID/);
  assert.equal(lines.length, 1 + 25, 'one header, then every event over three pages');

  const firstPages = await cli('--limit', '4', '--pages', '2');
  assert.equal(firstPages.code, 0, firstPages.stderr);
  const tail = firstPages.stdout.trimEnd().split('\n');
  assert.equal(tail.length, 1 + 8 + 1);
  const next = /^next: (\S+)$/.exec(tail[tail.length - 1]!)?.[1];
  assert.ok(next, firstPages.stdout);
  const rest = await cli('--limit', '4', '--cursor', next, '--json');
  assert.equal(rest.code, 0, rest.stderr);
  assert.equal(JSON.parse(rest.stdout).events.length, 25 - 8, 'the rest, from where it stopped');

  const bad = await cli('--cursor', 'nonsense');
  assert.equal(bad.code, 1);
  assert.match(errorLines(bad.stderr)[0] ?? '', /^error: cursor: /);
});

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`${kind}: a user's grants page its consents, then its live refresh families, each once under one cursor`, async (t) => {
    if (kind === 'postgres' && !(await requirePostgres(t))) return;
    const srv = await startServer(t, { storage: kind, plugins: [clients(), resources(), users(), oauth()] });
    const knex = db(srv);
    const userId = uuidv7();
    await knex('users').insert({ id: userId, email: 'g@example.com', name: 'G', role: 'user', status: 'active', provider: 'local', password_hash: null, created_at: T0, updated_at: T0, last_login_at: null });
    const consents = Array.from({ length: 5 }, (_, i) => ({ id: uuidv7(), user_id: userId, client_id: `c${i}`, resource_id: 'r', scopes: '["a"]', created_at: T0, updated_at: T0 }));
    await knex('consents').insert(consents);
    const far = Date.now() + 3_600_000;
    const families = Array.from({ length: 7 }, (_, i) => ({
      id: uuidv7(),
      client_id: `c${i}`,
      user_id: userId,
      resource_id: 'r',
      created_at: T0,
      expires_at: i === 5 ? T0 : far,
      revoked_at: i === 6 ? T0 : null,
      revoked_reason: i === 6 ? 'admin_logout' : null,
    }));
    await knex('refresh_families').insert(families);

    for (const limit of [1, 3, 5, 6, 100]) {
      const seenConsents: string[] = [];
      const seenFamilies: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const response: Response = await srv.admin(`/admin/users/${userId}/grants?${query}`);
        const body = await response.json();
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.ok(body.consents.length + body.refresh_families.length <= limit);
        if (seenFamilies.length > 0) assert.equal(body.consents.length, 0, 'consents come first');
        seenConsents.push(...body.consents.map((c: { id: string }) => c.id));
        seenFamilies.push(...body.refresh_families.map((f: { id: string }) => f.id));
        cursor = body.next;
        assert.ok(++pages < 50);
      } while (cursor !== null);
      assertEachOnce(seenConsents, consents.map((c) => c.id), `consents, limit ${limit}`);
      assertEachOnce(seenFamilies, families.slice(0, 5).map((f) => f.id), `live families, limit ${limit}`);
    }
    const other = uuidv7();
    await knex('users').insert({ id: other, email: 'h@example.com', name: 'H', role: 'user', status: 'active', provider: 'local', password_hash: null, created_at: T0, updated_at: T0, last_login_at: null });
    const first = await (await srv.admin(`/admin/users/${userId}/grants?limit=1`)).json();
    const foreign = await srv.admin(`/admin/users/${other}/grants?cursor=${encodeURIComponent(first.next)}`);
    assert.equal(foreign.status, 400, "another user's cursor");
    assert.deepEqual((await foreign.json()).errors.map((e: { field: string }) => e.field), ['cursor']);
  });
}
