import type { Knex } from 'knex';
import type { PurgeTarget } from '../contracts.js';
import { deleteInBatches, type BatchOptions } from './batched-delete.js';

export interface PurgeRunInput {
  db: Knex;
  now: Date;
  signal: AbortSignal;
  olderThanMs?: number;
}

export interface PurgeOutcome {
  deleted: number;
  /** Batches the deletions took (a target's own `purge` counts only those it ran through `ctx.deleteInBatches`). */
  batches: number;
}

/**
 * Runs one purge target: its `deletes` in order, each in bounded batches, or its own `purge`. What `authserver purge`
 * and a server's periodic cleanups call; `options.onBatch` sees every batch.
 */
export async function runPurgeTarget(target: PurgeTarget, input: PurgeRunInput, options: Omit<BatchOptions, 'signal'> = {}): Promise<PurgeOutcome> {
  let batches = 0;
  const batchOptions: BatchOptions = {
    ...options,
    signal: input.signal,
    onBatch: (deleted) => {
      batches++;
      options.onBatch?.(deleted);
    },
  };
  if (target.deletes) {
    let deleted = 0;
    for (const deletion of target.deletes(input)) deleted += (await deleteInBatches(input.db, deletion, batchOptions)).deleted;
    return { deleted, batches };
  }
  if (!target.purge) throw new Error('the purge target has neither deletes nor purge');
  const deleted = await target.purge({
    ...input,
    deleteInBatches: async (deletion) => (await deleteInBatches(input.db, deletion, batchOptions)).deleted,
  });
  return { deleted, batches };
}
