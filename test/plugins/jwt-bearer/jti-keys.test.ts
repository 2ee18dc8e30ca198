/**
 * Used assertion jtis keyed by expiry (migrations/trusted-issuers/0012), on real SQLite files and PostgreSQL: rows
 * written under the earlier key (the digest alone) get the key the server now computes for the same assertion, so an
 * assertion used before the upgrade is still refused after it; the expires_at index is gone; the purge deletes what
 * expired, through the key, and keeps the rest.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Knex } from 'knex';
import { deleteInBatches, SingleUseIds } from 'authplane';
import { createDialect } from '../../../kernel/storage/dialect.js';
import { trustedIssuers0001 } from '../../../migrations/trusted-issuers/0001_trusted_issuers.js';
import { trustedIssuersPurgeIndexes0011 } from '../../../migrations/trusted-issuers/0011_purge_indexes.js';
import { assertionJtiKeysByExpiry0012 } from '../../../migrations/trusted-issuers/0012_assertion_jti_keys_by_expiry.js';
import { expiredJtis, jtiKey } from '../../../plugins/trusted-issuers/jti.js';
import { scratchDatabase } from '../../helpers/scratch-database.js';

const ISSUER = 'https://idp.example.com/';

const indexNames = async (db: Knex, kind: 'sqlite' | 'postgres'): Promise<string[]> =>
  kind === 'sqlite'
    ? ((await db.raw(`pragma index_list('assertion_jtis')`)) as { name: string }[]).map((row) => row.name)
    : ((await db('pg_indexes').where({ tablename: 'assertion_jtis' }).pluck('indexname')) as string[]);

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`${kind}: the migration rekeys used jtis by expiry, a jti used before it stays used, and the purge goes by the key`, async (t) => {
    const db = await scratchDatabase(t, kind, 2);
    if (!db) return;
    await trustedIssuers0001.up(db);
    await trustedIssuersPurgeIndexes0011.up(db);
    const now = Date.now();
    const live = Math.floor(now / 1000) + 300;
    const gone = Math.floor(now / 1000) - 60;
    const digest = (jti: string) => createHash('sha256').update(`${ISSUER}\n${jti}`).digest('base64url');
    await db('assertion_jtis').insert([
      { id: digest('live'), expires_at: live * 1000 },
      { id: digest('gone'), expires_at: gone * 1000 },
    ]);
    assert.ok((await indexNames(db, kind)).includes('assertion_jtis_expires_at_index'));

    await assertionJtiKeysByExpiry0012.up(db);
    const ids = ((await db('assertion_jtis').orderBy('id').pluck('id')) as string[]).sort();
    assert.deepEqual(ids, [jtiKey(ISSUER, 'gone', gone), jtiKey(ISSUER, 'live', live)].sort());
    assert.ok(!(await indexNames(db, kind)).includes('assertion_jtis_expires_at_index'), 'the expires_at index is dropped');

    // What the server's JtiStore claims for the same assertion: used already; a new one is fresh.
    const ids2 = new SingleUseIds('assertion_jtis', () => db, () => createDialect(kind, { fastPaths: true }));
    assert.equal(await ids2.claim(jtiKey(ISSUER, 'live', live), live * 1000), false, 'an assertion used before the upgrade is refused');
    assert.equal(await ids2.claim(jtiKey(ISSUER, 'new', live + 0.5), Math.ceil((live + 0.5) * 1000)), true);

    const deleted = await deleteInBatches(db, expiredJtis(now));
    assert.equal(deleted.deleted, 1, JSON.stringify(deleted));
    assert.deepEqual(((await db('assertion_jtis').pluck('id')) as string[]).sort(), [jtiKey(ISSUER, 'live', live), jtiKey(ISSUER, 'new', live)].sort());
  });
}
