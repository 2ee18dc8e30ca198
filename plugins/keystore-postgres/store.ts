import type { JsonWebKey } from 'node:crypto';
import type { Knex } from 'knex';
import type { KeyStore, Replicas, StoredKey } from 'authplane';
import type { KeyEncryptionKeys } from './kek.js';

interface KeyRow {
  kid: string;
  alg: string;
  kek_id: string;
  sealed_key: string;
  created_at: number | string;
  retired_at: number | string | null;
}

/** The topic the table's trigger announces on (migrations/keystore-postgres/0001_signing_keys.ts). */
const KEYS_TOPIC = 'keys';

export function createPostgresKeyStore(db: Knex, keks: KeyEncryptionKeys, replicas: Replicas, dialect: string): KeyStore {
  return {
    async load() {
      const rows = (await db<KeyRow>('signing_keys').select()) as KeyRow[];
      return rows.map((row): StoredKey => ({
        kid: row.kid,
        alg: row.alg as 'ES256',
        privateJwk: JSON.parse(keks.open(row.kid, row.kek_id, row.sealed_key).toString('utf8')) as JsonWebKey,
        createdAt: new Date(Number(row.created_at)),
        retiredAt: row.retired_at == null ? undefined : new Date(Number(row.retired_at)),
      }));
    },
    async save(key) {
      const { kekId, sealed } = keks.seal(key.kid, Buffer.from(JSON.stringify(key.privateJwk)));
      await db('signing_keys')
        .insert({
          kid: key.kid,
          alg: key.alg,
          kek_id: kekId,
          sealed_key: sealed,
          created_at: key.createdAt.getTime(),
          retired_at: key.retiredAt?.getTime() ?? null,
        })
        // Two replicas starting on an empty table may both generate a key: the second insert of a kid is a no-op.
        .onConflict('kid')
        .ignore();
    },
    async markRetired(kid, at) {
      // The first retirement stands: two replicas rotating at once must not move a retirement later.
      await db('signing_keys').where({ kid }).whereNull('retired_at').update({ retired_at: at.getTime() });
    },
    // The trigger announces every change; after a reconnect the kernel calls with no payload, and a reload re-reads
    // the table, so a rotation made while this server's listener was down is picked up then. SQLite has no channel:
    // another process's change is seen at signing.reloadInterval or on SIGHUP.
    ...(replicas.shared ? { watch: (onChange: () => void) => replicas.subscribe(KEYS_TOPIC, () => onChange()) } : {}),
    describe: () => ({ shared: dialect === 'postgres', location: 'table signing_keys' }),
  };
}

/** Re-seals every key under the current KEK (after replacing it); the number of rows changed. */
export async function resealKeys(db: Knex, keks: KeyEncryptionKeys): Promise<number> {
  const rows = (await db<KeyRow>('signing_keys').select()) as KeyRow[];
  let changed = 0;
  for (const row of rows) {
    if (row.kek_id === keks.current.id) continue;
    const { kekId, sealed } = keks.seal(row.kid, keks.open(row.kid, row.kek_id, row.sealed_key));
    changed += await db('signing_keys').where({ kid: row.kid, kek_id: row.kek_id }).update({ kek_id: kekId, sealed_key: sealed });
  }
  return changed;
}
