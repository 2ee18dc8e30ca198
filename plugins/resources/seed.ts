/**
 * Boot-time seeding from the config's `seed` list and the `AUTHPLANE_RESOURCE_URI` shortcut. A seed only inserts:
 * once a slug exists, the row belongs to the operator (admin API, CLI) and a changed seed never overwrites it.
 */
import { ProblemError, type RuntimeApi } from 'authplane';
import { resourceErrors } from './errors.js';
import type { ResourceOperations } from './operations.js';
import type { ResourceSeed } from './schema.js';
import type { ResourceStore } from './store.js';
import { normalizeResourceUri, slugFromUri } from './uri.js';

type Logger = RuntimeApi['log'];

export const RESOURCE_URI_ENV = 'AUTHPLANE_RESOURCE_URI';
export const RESOURCE_SCOPES_ENV = 'AUTHPLANE_RESOURCE_SCOPES';
/** The width schema.ts allows `display_name`. */
const DISPLAY_NAME_MAX = 200;

/** The URI as its own display name, cut (between code points) where display_name ends. */
function displayNameOf(uri: string): string {
  if (uri.length <= DISPLAY_NAME_MAX) return uri;
  let name = '';
  for (const ch of uri) {
    if (name.length + ch.length > DISPLAY_NAME_MAX - 1) break;
    name += ch;
  }
  return `${name}…`;
}

/** The one `mint` resource the environment shortcut describes, if any. */
export function resourceFromEnv(env: Readonly<Record<string, string | undefined>>, log: Logger): ResourceSeed | undefined {
  const uri = env[RESOURCE_URI_ENV]?.trim();
  const scopes = (env[RESOURCE_SCOPES_ENV] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!uri) {
    if (scopes.length) log.warn(`${RESOURCE_SCOPES_ENV} is set without ${RESOURCE_URI_ENV}; no resource is seeded`);
    return undefined;
  }
  let slug: string;
  try {
    normalizeResourceUri(uri);
    slug = slugFromUri(uri);
  } catch (err) {
    throw resourceErrors.SEED_INVALID(`${RESOURCE_URI_ENV}: ${(err as Error).message}`, { cause: err });
  }
  return { slug, display_name: displayNameOf(uri), uri, backend_kind: 'mint', scopes: [...new Set(scopes)].map((name) => ({ name })) };
}

/**
 * Inserts each seed whose slug and URI are both unused. A seed that another resource already covers (its URI under
 * another slug) is skipped with a log line; an invalid seed stops boot, naming it.
 */
export async function applySeeds(
  seeds: readonly { fields: ResourceSeed; source: string }[],
  store: ResourceStore,
  operations: ResourceOperations,
  log: Logger,
): Promise<number> {
  let inserted = 0;
  for (const { fields, source } of seeds) {
    if (await store.findBy('slug', fields.slug)) continue;
    try {
      await operations.create(fields, { actor_id: 'seed' });
      inserted++;
      log.info({ slug: fields.slug, uri: fields.uri, source }, 'resource seeded');
    } catch (err) {
      // 409: the URI is registered under another slug, or a replica seeded the same slug a moment ago.
      if (err instanceof ProblemError && err.status === 409) {
        log.info({ slug: fields.slug, source, reason: err.message }, 'resource seed skipped');
        continue;
      }
      const reason = err instanceof ProblemError ? err.message : (err as Error).message;
      throw resourceErrors.SEED_INVALID(`${source} (slug '${fields.slug}'): ${reason}`, { cause: err });
    }
  }
  return inserted;
}
