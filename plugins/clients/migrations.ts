import { clients0001 } from '../../migrations/clients/0001_clients.js';

/** Every migration of the clients plugin, in order. Forward-only; names never change once released. */
export const clientMigrations = [clients0001];
