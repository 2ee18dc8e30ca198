import { resources0001 } from '../../migrations/resources/0001_resources.js';
import { resources0002 } from '../../migrations/resources/0002_updated_at_index.js';
import { resources0003 } from '../../migrations/resources/0003_resources_paging.js';

/** Every migration of the resources plugin, in order. Forward-only; names never change once released. */
export const resourceMigrations = [resources0001, resources0002, resources0003];
