import { resources0001 } from '../../migrations/resources/0001_resources.js';

/** Every migration of the resources plugin, in order. Forward-only; names never change once released. */
export const resourceMigrations = [resources0001];
