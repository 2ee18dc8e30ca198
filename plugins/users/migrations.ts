import { users0001 } from '../../migrations/users/0001_users.js';

/** Every migration of the users plugin, in order. Forward-only; names never change once released. */
export const userMigrations = [users0001];
