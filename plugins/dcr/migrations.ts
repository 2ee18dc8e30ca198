import { dcrSettings0001 } from '../../migrations/dcr/0001_dcr_settings.js';

/** Every migration of the dcr plugin, in order. Forward-only; names never change once released. */
export const dcrMigrations = [dcrSettings0001];
