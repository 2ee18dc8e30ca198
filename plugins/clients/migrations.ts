import { clients0001 } from '../../migrations/clients/0001_clients.js';
import { clients0002 } from '../../migrations/clients/0002_admin_fields.js';
import { clients0003 } from '../../migrations/clients/0003_clients_paging.js';

/** Every migration of the clients plugin, in order. Forward-only; names never change once released. */
export const clientMigrations = [clients0001, clients0002, clients0003];
