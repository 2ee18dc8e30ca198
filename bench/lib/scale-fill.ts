/**
 * Bulk-loading a database to a given size with rows shaped exactly like the ones the server writes. The shapes are
 * not restated here: the real server writes one row of each kind first (a resource catalog, a machine client, a
 * user, a client_credentials token with its audit event — captureTemplates), and every bulk row is a copy of that
 * row with the columns that make rows differ (keys, owners, audiences, timestamps) replaced. A column added later is
 * copied from its template, so a new column the server fills on every row still has a plausible value;
 * test/bench/scale-fill.test.ts checks that the server reads what this writes (lists, filters, introspection, purge).
 *
 * Loading: secondary indexes are dropped, the rows inserted, the indexes recreated from their own definitions (a
 * sorted build instead of millions of random B-tree inserts). SQLite: one transaction of prepared inserts with the
 * rollback journal in memory, WAL restored after; PostgreSQL: batches of `INSERT … SELECT * FROM unnest(…)`, then VACUUM (ANALYZE)
 * (as autovacuum would soon after such a load).
 */
import { createRequire } from 'node:module';
import pg from 'pg';
import { uuidv7 } from '../../kernel/storage/ids.js';
import { admin, FIXTURES, prepareOurs } from './fixtures.js';
import { BENCH_ADMIN_KEY, type RunningServer } from './servers.js';

export type Row = Record<string, unknown>;

/** The part of better-sqlite3 a bulk load uses (the package ships no types; the server opens it through knex). */
interface Statement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  prepare(sql: string): Statement;
  pragma(sql: string, options?: { simple: boolean }): unknown;
  exec(sql: string): void;
  transaction(fn: () => void): () => void;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => SqliteDatabase;
export type Driver = 'sqlite' | 'postgres';

/** Where a database is: a SQLite file or a PostgreSQL DSN. */
export type Target = { driver: 'sqlite'; file: string } | { driver: 'postgres'; dsn: string };

export interface FillPlan {
  issuances: number;
  audit: number;
  clients: number;
  users: number;
  /** Share of the issuance rows that are expired client_credentials tokens (`authserver purge --only machine_tokens`). */
  expiredShare: number;
  /** The fill's "now", ms: every timestamp is placed relative to it. */
  now: number;
  seed?: number;
}

/** What the real server wrote, one row of each kind, plus what the load needs to authenticate. */
export interface Templates {
  issuance: Row;
  audit: Row;
  client: Row;
  user: Row;
  /** Every resource URI in the catalog (the bench resource first). */
  resources: string[];
  /** `Authorization: Basic …` of the real machine client, which the load uses. */
  machineAuth: string;
  machineClientId: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** client_credentials tokens live an hour (plugins/client-credentials); user tokens 15 minutes (tokens.accessTokenTtl). */
const MACHINE_TTL = HOUR;
const USER_TTL = 15 * 60_000;
/** User tokens span a bit more than tokens.issuanceRetentionDays (30), audit events a bit more than audit retention (90). */
const USER_TOKEN_SPAN = 35 * DAY;
const AUDIT_SPAN = 100 * DAY;

/** Resources, a machine client, a user and one token through the real server's APIs; the rows read back from the database. */
export async function captureTemplates(server: RunningServer, target: Target, resources: number): Promise<Templates> {
  // The bench resource and machine client as `npm run bench` makes them, then the rest of the catalog.
  const { machineAuth, machineClientId } = await prepareOurs(server, { codes: false });
  const uris = [FIXTURES.resource];
  for (let i = 1; i < resources; i++) {
    uris.push(`https://mcp${i}.bench.example.com/mcp`);
    await admin(server, '/admin/resources', {
      slug: `bench-${i}`,
      display_name: `Bench MCP ${i}`,
      uri: uris[i],
      backend_kind: 'mint',
      scopes: [{ name: FIXTURES.scope, description: 'Read tools' }],
    });
  }
  const user = await admin(server, '/admin/users', { email: 'template@bench.example.com', password: 'a long bench password', name: 'Bench Template', role: 'user' });
  const token = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: machineAuth },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: FIXTURES.resource, scope: FIXTURES.scope }),
  });
  if (!token.ok) throw new Error(`template token: ${token.status} ${await token.text()}`);
  // The audit trail is written in batches: asking for it flushes this server's pending events.
  const audit = await fetch(`${server.adminUrl}/admin/audit?action=token_issued`, { headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` } });
  if (!audit.ok) throw new Error(`template audit: ${audit.status} ${await audit.text()}`);
  const one = async (sql: string, value: string) => {
    const rows = await query(target, sql, [value]);
    if (!rows[0]) throw new Error(`no template row for ${sql} (${value})`);
    return rows[0];
  };
  return {
    issuance: await one('select * from token_issuances where client_id = ?', machineClientId),
    audit: await one('select * from audit_events where action = ?', 'token_issued'),
    client: await one('select * from clients where client_id = ?', machineClientId),
    user: await one('select * from users where id = ?', String(user.id)),
    resources: uris,
    machineAuth,
    machineClientId,
  };
}

/** A small seeded generator (mulberry32): the same plan fills the same rows. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A skewed pick from 0..n-1: a few clients and users account for most tokens, as in a real deployment. */
const skewed = (r: number, n: number) => Math.min(n - 1, Math.floor(n * r * r * r));

/** `ap_` + 22 characters, the length of a generated client id (plugins/clients/secrets.ts). */
export const benchClientId = (i: number) => `ap_b${i.toString(36).padStart(21, '0')}`;
export const benchUserEmail = (i: number) => `user${i}@bench.example.com`;

/** The bulk rows of each table, as functions of their index; `kind` tells which issuances the purge should delete. */
export interface Generators {
  clients(i: number): Row;
  users(i: number): Row;
  issuances(i: number): Row;
  audit(i: number): Row;
  userIds: string[];
}

export type IssuanceKind = 'expired-machine' | 'live-machine' | 'user';

/**
 * Which kind issuance row `i` is: the first `expiredShare` of every ten rows are machine tokens already expired
 * (issued 1–48 h ago), half of all rows user tokens spread over 35 days (the oldest beyond the 30-day retention), the
 * rest machine tokens issued within the half hour (still valid).
 */
export function issuanceKind(i: number, expiredShare: number): IssuanceKind {
  const slot = (i % 100) / 100;
  if (slot < expiredShare) return 'expired-machine';
  if (slot < expiredShare + 0.5) return 'user';
  return 'live-machine';
}

export function generators(templates: Templates, plan: FillPlan): Generators {
  const rand = random(plan.seed ?? 25);
  const { now } = plan;
  const userIds = Array.from({ length: plan.users }, (_, i) => uuidv7(now - AUDIT_SPAN + Math.floor((i / plan.users) * (AUDIT_SPAN - DAY))));
  const clientOf = () => benchClientId(skewed(rand(), plan.clients));
  const resourceOf = () => templates.resources[skewed(rand(), templates.resources.length)]!;
  const detail = typeof templates.audit.detail === 'string' ? (JSON.parse(templates.audit.detail) as Record<string, unknown>) : {};
  const int = (value: number) => Math.floor(value);
  const withResource = 'resource' in templates.issuance;
  return {
    userIds,
    clients(i) {
      const created = int(now - AUDIT_SPAN + (i / plan.clients) * AUDIT_SPAN);
      return { ...templates.client, client_id: benchClientId(i), client_name: `bench client ${i}`, created_at: created, updated_at: created, last_used_at: rand() < 0.7 ? int(now - rand() * DAY) : null };
    },
    users(i) {
      const created = int(now - AUDIT_SPAN + (i / plan.users) * (AUDIT_SPAN - DAY));
      return { ...templates.user, id: userIds[i], email: benchUserEmail(i), name: `Bench User ${i}`, created_at: created, updated_at: created, last_login_at: null };
    },
    issuances(i) {
      const kind = issuanceKind(i, plan.expiredShare);
      // Each kind's rows in time order (as the server writes them), so the key's B-tree grows at its right edge.
      const along = i / plan.issuances;
      const issued =
        kind === 'expired-machine'
          ? int(now - 48 * HOUR + along * (47 * HOUR - 60_000) + rand() * 1000)
          : kind === 'user'
            ? int(now - USER_TOKEN_SPAN + along * USER_TOKEN_SPAN)
            : // Within the last half hour: still valid when a long run reaches its purge.
              int(now - MACHINE_TTL / 2 + along * (MACHINE_TTL / 2 - 1000));
      const machine = kind !== 'user';
      const client = clientOf();
      const ttl = machine ? MACHINE_TTL : USER_TTL;
      const resource = resourceOf();
      const row: Row = {
        ...templates.issuance,
        // Where the schema has it, the audience's indexed copy (one audience that fits: every row here).
        ...(withResource ? { resource } : {}),
        jti: uuidv7(issued),
        subject: machine ? client : userIds[skewed(rand(), userIds.length)],
        client_id: client,
        audience: JSON.stringify([resource]),
        grant_type: machine ? 'client_credentials' : 'authorization_code',
        issued_at: issued,
        expires_at: issued + ttl,
      };
      return row;
    },
    audit(i) {
      const time = int(now - AUDIT_SPAN + (i / plan.audit) * AUDIT_SPAN);
      const client = clientOf();
      const user = rand() < 0.5 ? userIds[skewed(rand(), userIds.length)]! : null;
      const jti = uuidv7(time);
      return {
        ...templates.audit,
        id: uuidv7(time),
        time,
        actor_id: client,
        client_id: client,
        user_id: user,
        request_id: jti.replace(/-/g, '').slice(0, 26),
        detail: JSON.stringify({ ...detail, grant_type: user ? 'authorization_code' : 'client_credentials', jti, audience: [resourceOf()] }),
      };
    },
  };
}

/** `?` placeholders (SQLite's) as PostgreSQL's `$n`. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

/** One query on a connection of its own, for the few reads around a fill (templates, sizes, counts). */
export async function query(target: Target, sql: string, params: unknown[] = []): Promise<Row[]> {
  if (target.driver === 'sqlite') {
    const db = new Database(target.file);
    try {
      const statement = db.prepare(sql);
      return statement.reader ? (statement.all(...params) as Row[]) : (statement.run(...params), []);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.dsn });
  await client.connect();
  try {
    return (await client.query(numbered(sql), params)).rows as Row[];
  } finally {
    await client.end();
  }
}

export interface TableLoad {
  table: string;
  count: number;
  row: (i: number) => Row;
}

/** Loads every table of the plan; resolves with seconds per table (index rebuild included). */
export async function bulkLoad(target: Target, loads: readonly TableLoad[], log: (line: string) => void = () => {}): Promise<Record<string, number>> {
  const seconds: Record<string, number> = {};
  for (const load of loads) {
    if (load.count <= 0) continue;
    const started = performance.now();
    if (target.driver === 'sqlite') loadSqlite(target.file, load);
    else await loadPostgres(target.dsn, load);
    seconds[load.table] = (performance.now() - started) / 1000;
    log(`filled ${load.table}: ${load.count} rows in ${seconds[load.table]!.toFixed(1)} s`);
  }
  return seconds;
}

function loadSqlite(file: string, load: TableLoad): void {
  const db = new Database(file);
  try {
    const mode = String(db.pragma('journal_mode', { simple: true }));
    // Out of WAL (a journal mode of its own: the load would go through the WAL file first), then a rollback journal in
    // memory: it holds only the few pages that existed before, the new ones have nothing to roll back to. (OFF is
    // refused in better-sqlite3's defensive mode.)
    db.pragma('journal_mode = DELETE');
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const indexes = db.prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = ? and sql is not null").all(load.table) as { name: string; sql: string }[];
    const columns = Object.keys(load.row(0));
    const insert = db.prepare(`insert into "${load.table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`);
    db.transaction(() => {
      for (const index of indexes) db.exec(`drop index "${index.name}"`);
      for (let i = 0; i < load.count; i++) {
        const row = load.row(i);
        insert.run(columns.map((c) => sqliteValue(row[c])));
      }
      for (const index of indexes) db.exec(index.sql);
    })();
    db.pragma(`journal_mode = ${mode}`);
  } finally {
    db.close();
  }
}

const sqliteValue = (value: unknown) => (typeof value === 'boolean' ? Number(value) : value);

const BATCH = 10_000;

async function loadPostgres(dsn: string, load: TableLoad): Promise<void> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    const types = new Map(
      (await client.query("select column_name, udt_name from information_schema.columns where table_schema = current_schema() and table_name = $1", [load.table])).rows.map(
        (r: { column_name: string; udt_name: string }) => [r.column_name, r.udt_name],
      ),
    );
    // Indexes that back no constraint (a primary key or unique constraint stays: it is part of the table's rules).
    const { rows: indexes } = await client.query(
      `select indexname, indexdef from pg_indexes i
        where schemaname = current_schema() and tablename = $1
          and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
      [load.table],
    );
    const columns = Object.keys(load.row(0));
    const unnest = columns.map((c, n) => `$${n + 1}::${types.get(c) ?? 'text'}[]`).join(', ');
    const sql = `insert into "${load.table}" (${columns.map((c) => `"${c}"`).join(', ')}) select * from unnest(${unnest})`;
    await client.query('begin');
    for (const index of indexes) await client.query(`drop index "${index.indexname}"`);
    for (let start = 0; start < load.count; start += BATCH) {
      const arrays: unknown[][] = columns.map(() => []);
      for (let i = start; i < Math.min(load.count, start + BATCH); i++) {
        const row = load.row(i);
        columns.forEach((c, n) => arrays[n]!.push(row[c] ?? null));
      }
      await client.query(sql, arrays);
    }
    for (const index of indexes) await client.query(index.indexdef);
    await client.query('commit');
    // VACUUM as well: after a bulk insert autovacuum would otherwise vacuum the table (setting its visibility map)
    // in the middle of the measurements, on the cores the server and the load generator use.
    await client.query(`vacuum (analyze) "${load.table}"`);
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

/** Fills every table of the plan from the templates the real server wrote. */
export async function fill(target: Target, templates: Templates, plan: FillPlan, log?: (line: string) => void): Promise<{ seconds: Record<string, number>; generators: Generators }> {
  const gen = generators(templates, plan);
  const seconds = await bulkLoad(
    target,
    [
      { table: 'clients', count: plan.clients, row: gen.clients },
      { table: 'users', count: plan.users, row: gen.users },
      { table: 'token_issuances', count: plan.issuances, row: gen.issuances },
      { table: 'audit_events', count: plan.audit, row: gen.audit },
    ],
    log,
  );
  return { seconds, generators: gen };
}

/** Bytes a table takes on disk with all its indexes, and its row count. */
export async function tableSize(target: Target, table: string): Promise<{ bytes: number; rows: number }> {
  const [count] = await query(target, `select count(*) as n from "${table}"`);
  if (target.driver === 'postgres') {
    const [size] = await query(target, 'select pg_total_relation_size(?::regclass) as bytes', [table]);
    return { bytes: Number(size!.bytes), rows: Number(count!.n) };
  }
  // dbstat: every page of the table's B-tree and of each of its indexes (autoindexes of the key included).
  const [size] = await query(
    target,
    "select sum(pgsize) as bytes from dbstat where name = ? or name in (select name from sqlite_master where type = 'index' and tbl_name = ?)",
    [table, table],
  );
  return { bytes: Number(size!.bytes), rows: Number(count!.n) };
}
