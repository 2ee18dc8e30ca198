import { users0001 } from '../../migrations/users/0001_users.js';
import { users0002 } from '../../migrations/users/0002_user_identities.js';
import { users0003 } from '../../migrations/users/0003_users_paging.js';

/** Every migration of the users plugin, in order. Forward-only; names never change once released. */
export const userMigrations = [users0001, users0002, users0003];
