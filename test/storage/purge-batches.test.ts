/**
 * Purges delete in bounded batches and let the server answer between them (issue 25): on SQLite the writer is one
 * synchronous connection, so a single DELETE of every expired row held every request until it ended.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { runPurgeTarget, type PurgeTarget } from 'authplane';
import type { Knex } from 'knex';
import { requirePostgres } from '../helpers/postgres.js';
import { machineServer, machineToken, type MachineFixture } from '../plugins/client-credentials/setup.js';

const HOUR = 3_600_000;

function issuanceRow(jti: string, grantType: string, expiresAt: number) {
  return {
    jti,
    subject: 'bulk',
    client_id: 'bulk-client',
    audience: '["https://mcp.example.com/mcp"]',
    scope: 'tools/read',
    grant_type: grantType,
    issued_at: expiresAt - HOUR,
    expires_at: expiresAt,
    revoked_at: null,
    parent_jti: null,
    cnf_jkt: null,
  };
}

/** `count` rows named `<prefix>-<n>`, inserted a chunk per statement (as an operator's bulk load would). */
async function bulkInsert(db: Knex, count: number, row: (jti: string) => object, prefix: string): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => row(`${prefix}-${String(i).padStart(6, '0')}`));
  await db.batchInsert('token_issuances', rows, 500);
}

for (const storage of ['sqlite', 'postgres'] as const) {
  describe(`batched purges on ${storage}`, () => {
    async function server(t: TestContext): Promise<MachineFixture | undefined> {
      if (storage === 'postgres' && !(await requirePostgres(t))) return undefined;
      return machineServer(t, { storage });
    }

    test('a batched purge deletes exactly the expired machine-token rows, in more than one batch, and nothing else', async (t) => {
      const fx = await server(t);
      if (!fx) return;
      const db = fx.server.db;
      const now = Date.now();
      await bulkInsert(db, 5000, (jti) => issuanceRow(jti, 'client_credentials', now - 1000), 'expired');
      await bulkInsert(db, 300, (jti) => issuanceRow(jti, 'client_credentials', now + HOUR), 'live');
      await bulkInsert(db, 300, (jti) => issuanceRow(jti, 'authorization_code', now - 1000), 'user');
      const sizes: number[] = [];
      const outcome = await runPurgeTarget(
        fx.server.registries.purgeTargets.get('machine_tokens')!,
        { db, now: new Date(now), signal: AbortSignal.timeout(120_000) },
        { onBatch: (deleted) => sizes.push(deleted) },
      );
      assert.equal(outcome.deleted, 5000);
      assert.equal(outcome.batches, sizes.length);
      assert.ok(sizes.length > 1, `deleted in batches, not at once (${sizes.join(', ')})`);
      assert.equal(sizes.reduce((a, b) => a + b, 0), 5000);
      const left = (await db('token_issuances').where('subject', 'bulk').orderBy('jti').pluck('jti')) as string[];
      assert.equal(left.length, 600);
      assert.ok(left.every((jti) => jti.startsWith('live-') || jti.startsWith('user-')), 'live machine tokens and user tokens stay');
      const again = await runPurgeTarget(fx.server.registries.purgeTargets.get('machine_tokens')!, { db, now: new Date(now), signal: AbortSignal.timeout(60_000) });
      assert.deepEqual(again, { deleted: 0, batches: 1 }, 'a second run finds nothing, in one batch');
    });

    test('a purge stopped by its time limit ends after the batch under way, and keeps what it deleted', async (t) => {
      const fx = await server(t);
      if (!fx) return;
      const db = fx.server.db;
      const now = Date.now();
      await bulkInsert(db, 3000, (jti) => issuanceRow(jti, 'client_credentials', now - 1000), 'expired');
      const limit = new AbortController();
      let first = 0;
      await assert.rejects(
        runPurgeTarget(
          fx.server.registries.purgeTargets.get('machine_tokens')!,
          { db, now: new Date(now), signal: limit.signal },
          {
            onBatch: (deleted) => {
              first ||= deleted;
              limit.abort();
            },
          },
        ),
        /timed out after deleting \d+ row\(s\) from token_issuances/,
      );
      assert.ok(first > 0 && first < 3000);
      const left = Number((await db('token_issuances').where('subject', 'bulk').count({ n: '*' }).first())!.n);
      assert.equal(left, 3000 - first, 'the first batch stays deleted, nothing after it ran');
    });

    test('a purge of 50,000 rows lets /health and token requests through between its batches', async (t) => {
      const fx = await server(t);
      if (!fx) return;
      const db = fx.server.db;
      const client = await fx.createMachineClient();
      await machineToken(fx.url, client); // the first token request pays for warm-up, not the one measured
      const now = Date.now();
      await bulkInsert(db, 50_000, (jti) => issuanceRow(jti, 'client_credentials', now - 1000), 'bulk');

      let batches = 0;
      let purgeDone = false;
      const finished: { what: string; batch: number; purgeDone: boolean }[] = [];
      let requests: Promise<void> | undefined;
      const target: PurgeTarget = fx.server.registries.purgeTargets.get('machine_tokens')!;
      const outcome = await runPurgeTarget(
        target,
        { db, now: new Date(now), signal: AbortSignal.timeout(300_000) },
        {
          onBatch: () => {
            batches++;
            // Sent once the purge is under way; each notes how many batches had run when it completed.
            requests ??= Promise.all([
              fetch(`${fx.url}/health`, { signal: AbortSignal.timeout(60_000) }).then(async (r) => {
                assert.equal(r.status, 200, await r.text());
                finished.push({ what: 'health', batch: batches, purgeDone });
              }),
              machineToken(fx.url, client).then(() => {
                finished.push({ what: 'token', batch: batches, purgeDone });
              }),
            ]).then(() => undefined);
          },
        },
      );
      purgeDone = true;
      await requests;
      t.diagnostic(`${outcome.batches} batches; ${finished.map((r) => `${r.what} completed after batch ${r.batch}`).join(', ')}`);
      assert.equal(outcome.deleted, 50_000);
      // SQLite batches are sized to a few ms of the writer (2,000 rows at most), PostgreSQL's to fewer round trips.
      assert.ok(outcome.batches >= (storage === 'sqlite' ? 25 : 5), `bounded batches (${outcome.batches})`);
      assert.equal(finished.length, 2);
      for (const request of finished) {
        assert.equal(request.purgeDone, false, `${request.what} completed while the purge ran`);
        assert.ok(request.batch < outcome.batches, `${request.what} completed after batch ${request.batch} of ${outcome.batches}`);
      }
      assert.equal(await db('token_issuances').where('subject', 'bulk').count({ n: '*' }).first().then((r) => Number(r!.n)), 0);
    });
  });
}
