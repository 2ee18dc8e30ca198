/**
 * Boot-time seeding from the config's `providers` list. A seed only inserts: once a slug exists, the row belongs
 * to the operator (admin API, CLI) and a changed seed never overwrites it.
 */
import { ProblemError, type RuntimeApi } from 'authplane';
import { brokerErrors } from './errors.js';
import type { ProviderOperations } from './operations.js';
import type { ProviderCreate } from './provider-schema.js';
import type { ProviderStore } from './store.js';

/** Inserts each seed whose slug is unused; an invalid seed stops boot, naming it. */
export async function seedProviders(
  seeds: readonly ProviderCreate[],
  store: ProviderStore,
  operations: ProviderOperations,
  log: RuntimeApi['log'],
): Promise<number> {
  let inserted = 0;
  for (const [i, seed] of seeds.entries()) {
    const source = `broker.providers[${i}]`;
    if (await store.findBy('slug', seed.slug)) continue;
    try {
      await operations.create(seed, { actor_id: 'seed' });
      inserted++;
      log.info({ slug: seed.slug, protocol: seed.protocol, source }, 'broker provider seeded');
    } catch (err) {
      // 409: a replica seeded the same slug a moment ago.
      if (err instanceof ProblemError && err.status === 409) continue;
      const reason = err instanceof ProblemError ? err.message : (err as Error).message;
      throw brokerErrors.SEED_INVALID(`${source} (slug '${seed.slug}'): ${reason}`, { cause: err });
    }
  }
  return inserted;
}
