import { dpopReplay0001 } from '../../migrations/dpop/0001_dpop_replay.js';

/** Every migration of the dpop plugin, in order. Forward-only; names never change once released. */
export const dpopMigrations = [dpopReplay0001];
