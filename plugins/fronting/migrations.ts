import { frontingLinks0001 } from '../../migrations/fronting/0001_fronting_links.js';
import { frontingLinks0002 } from '../../migrations/fronting/0002_fronting_paging.js';

/** Every migration of the fronting plugin, in order. Forward-only; names never change once released. */
export const frontingMigrations = [frontingLinks0001, frontingLinks0002];
