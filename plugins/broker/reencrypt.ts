/**
 * Re-encryption of broker grants under the current key: the second half of a key rotation (docs/broker.md). Each
 * row not under `box.currentKeyId` is decrypted with the key it names and written back under the current one.
 *
 * - Resumable: rows are walked in id order in batches, and a rewritten row no longer matches the query, so a run
 *   that was interrupted continues where it stopped when run again (and a finished one rewrites nothing).
 * - Safe beside a running server: the UPDATE matches the row's id, key id, version and ciphertext as read, so a
 *   grant the server wrote meanwhile (a connect, a refresh) wins and the row counts as skipped. The version is not
 *   bumped: the grant did not change, and a refresh racing on the version must not see a conflict.
 * - Loud: a row that does not decrypt (its key is not configured, or it was altered) is counted and named, and the
 *   walk goes on; an error of the backend itself (Vault down, the database) stops the run, to be run again.
 */
import type { Knex } from 'knex';
import { BrokerKeyError } from './crypto/local-box.js';
import { openGrant, sealGrant } from './crypto/grant-seal.js';
import type { SecretBox } from './types.js';

export const DEFAULT_REENCRYPT_BATCH = 100;

export interface ReencryptOptions {
  /** Rows read per query (default 100). */
  batchSize?: number;
  /** Called after each batch with the counts so far. */
  onBatch?: (progress: ReencryptCounts) => void;
}

export interface ReencryptCounts {
  rewritten: number;
  /** Rows another writer changed between the read and the write: they carry that writer's ciphertext. */
  skipped: number;
  failed: number;
}

export interface ReencryptFailure {
  id: string;
  key_id: string;
  error: string;
}

export interface ReencryptResult extends ReencryptCounts {
  /** The key every rewritten row is now under. */
  current_key_id: string;
  /** Rows still not under the current key after the run: the failed ones, and any written meanwhile under an old key. */
  remaining: number;
  failures: ReencryptFailure[];
}

interface GrantCipherRow {
  id: string;
  user_id: string;
  provider_id: string;
  version: number;
  key_id: string;
  ciphertext: string;
}

export async function reencryptGrants(db: Knex, box: SecretBox, options: ReencryptOptions = {}): Promise<ReencryptResult> {
  const batchSize = options.batchSize ?? DEFAULT_REENCRYPT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const counts: ReencryptCounts = { rewritten: 0, skipped: 0, failed: 0 };
  const failures: ReencryptFailure[] = [];
  let after = '';
  for (;;) {
    // Read per batch: a Vault box's current key moves when Vault's key is rotated during the run.
    const current = box.currentKeyId;
    const rows: GrantCipherRow[] = await db('broker_grants')
      .select('id', 'user_id', 'provider_id', 'version', 'key_id', 'ciphertext')
      .whereNot('key_id', current)
      .andWhere('id', '>', after)
      .orderBy('id')
      .limit(batchSize);
    if (rows.length === 0) break;
    for (const row of rows) {
      let plaintext: string;
      try {
        plaintext = await openGrant(box, row);
      } catch (err) {
        if (!(err instanceof BrokerKeyError)) throw err;
        counts.failed++;
        failures.push({ id: row.id, key_id: row.key_id, error: err.message });
        continue;
      }
      const sealed = await sealGrant(box, row, plaintext);
      const written = await db('broker_grants')
        .where({ id: row.id, key_id: row.key_id, version: row.version, ciphertext: row.ciphertext })
        .update({ key_id: sealed.keyId, ciphertext: sealed.ciphertext });
      if (written === 1) counts.rewritten++;
      else counts.skipped++;
    }
    after = rows[rows.length - 1]!.id;
    options.onBatch?.({ ...counts });
  }
  const current = box.currentKeyId;
  const [{ remaining }] = (await db('broker_grants').whereNot('key_id', current).count({ remaining: '*' })) as [{ remaining: number | string }];
  return { ...counts, current_key_id: current, remaining: Number(remaining), failures };
}
